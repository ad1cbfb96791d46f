"""Input shape of the family-file forms. Prefilled from the current values (ModelForm instances);
the service records only the fields that changed."""
import re

import phonenumbers
from django import forms

from . import request_sources, services
from .models import AuthorisedPerson, Child, ChildHealth, Family, Guardian

PHONE_FIELDS = {"home_phone", "mobile_phone", "work_phone", "doctor_phone", "phone"}


def clean_phone(value):
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise forms.ValidationError("Numéro de téléphone invalide (exemple : 06 12 34 56 78).")
    if number.country_code == 33:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class ChangeForm(forms.ModelForm):
    """Phone numbers checked and written the French way; text trimmed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name in PHONE_FIELDS:
                field.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})
            if isinstance(field.widget, forms.Textarea):
                field.widget.attrs["rows"] = 3

    def clean(self):
        """Only the phone numbers the parent changed are checked: a malformed number already stored (a
        twelve-digit import) must not block the block's other edits."""
        cleaned = super().clean()
        changed = set(self.changed_data)
        for name in PHONE_FIELDS & set(self.fields) & changed:
            if name in cleaned and name not in self.errors:
                try:
                    cleaned[name] = clean_phone(cleaned[name])
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return cleaned


class FamilyChangeForm(ChangeForm):
    class Meta:
        model = Family
        fields = services.FAMILY_FIELDS
        widgets = {
            "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
            "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
            "postcode": forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
            "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("address_line1", "postcode", "city"):
            self.fields[name].required = True

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        if not re.fullmatch(r"\d{5}", value):
            raise forms.ValidationError("Le code postal doit comporter 5 chiffres.")
        return value


class GuardianChangeForm(ChangeForm):
    class Meta:
        model = Guardian
        fields = services.GUARDIAN_FIELDS


class ChildChangeForm(ChangeForm):
    class Meta:
        model = Child
        fields = services.CHILD_FIELDS
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class NewChildForm(ChangeForm):
    class Meta:
        model = Child
        fields = services.NEW_CHILD_FIELDS
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class HealthChangeForm(ChangeForm):
    class Meta:
        model = ChildHealth
        fields = services.HEALTH_FIELDS


class AuthorisedPersonForm(ChangeForm):
    class Meta:
        model = AuthorisedPerson
        fields = services.PERSON_FIELDS
        help_texts = {"relationship": "Par exemple : grand-mère, voisin, assistante maternelle."}


class RequestFilterForm(forms.Form):
    type = forms.ChoiceField(label="Type de demande", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Grouped « Mon dossier » / « Mes enfants », with what every registered source answers.
        self.fields["type"].choices = request_sources.filter_choices()
