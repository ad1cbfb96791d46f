"""Input shape of the family-file forms. Prefilled from the current values (ModelForm instances);
the service records only the fields that changed."""
import phonenumbers
from django import forms
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from . import request_sources, services
from .models import AuthorisedPerson, Child, ChildHealth, Family, Guardian, Vaccination
from .rules import USUAL_VACCINES, postcode_problem, vaccination_date_problem

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


# The autocomplete hints of an address, the family's or a guardian's own.
ADDRESS_WIDGETS = {
    "address_line1": forms.TextInput(attrs={"autocomplete": "address-line1"}),
    "address_line2": forms.TextInput(attrs={"autocomplete": "address-line2"}),
    "postcode": forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    "city": forms.TextInput(attrs={"autocomplete": "address-level2"}),
}


class FamilyChangeForm(ChangeForm):
    class Meta:
        model = Family
        fields = services.FAMILY_FIELDS
        widgets = ADDRESS_WIDGETS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("address_line1", "postcode", "city"):
            self.fields[name].required = True

    def clean_postcode(self):
        value = self.cleaned_data["postcode"].strip()
        problem = postcode_problem(value)
        if problem:
            raise forms.ValidationError(problem)
        return value


GUARDIAN_OWN_ADDRESS = ("address_line1", "address_line2", "postcode", "city", "home_phone")


class GuardianChangeForm(ChangeForm):
    """The guardian's details; for separated parents, their own address (else the family's is theirs)."""

    same_address = forms.TypedChoiceField(
        label="Adresse de ce responsable",
        choices=[(True, "Même adresse que la famille"), (False, "Une autre adresse (à remplir ci-dessous)")],
        coerce=lambda value: value in (True, "True"), widget=forms.RadioSelect,
        help_text="Si ce responsable n'habite pas à l'adresse de la famille (parents séparés, par exemple), "
                  "choisissez « Une autre adresse » et remplissez l'adresse et le téléphone du domicile.",
    )

    class Meta:
        model = Guardian
        fields = services.GUARDIAN_FIELDS
        widgets = ADDRESS_WIDGETS
        labels = {"home_phone": "Téléphone du domicile (si autre adresse)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # static/families/shown_when.js hides these while « Même adresse que la famille » is ticked.
        for name in GUARDIAN_OWN_ADDRESS:
            self.fields[name].widget.attrs["data-shown-when"] = "same_address=False"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("same_address", True):
            # The family's address is theirs: an own address kept from before would be stale.
            for name in GUARDIAN_OWN_ADDRESS:
                cleaned[name] = ""
                self.errors.pop(name, None)
            return cleaned
        for name, message in (("address_line1", "Indiquez l'adresse de ce responsable."),
                              ("postcode", "Indiquez le code postal."), ("city", "Indiquez la commune.")):
            if not (cleaned.get(name) or "").strip() and name not in self.errors:
                self.add_error(name, message)
        postcode = (cleaned.get("postcode") or "").strip()
        if postcode and "postcode" not in self.errors:
            problem = postcode_problem(postcode)
            if problem:
                self.add_error("postcode", problem)
            else:
                cleaned["postcode"] = postcode
        return cleaned


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


class DatalistInput(forms.TextInput):
    """A text box with suggestions (<datalist>): a usual vaccine in one tap, any other name typed freely."""

    def __init__(self, options, attrs=None):
        super().__init__(attrs)
        self.options = options

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{(attrs or {}).get('id') or name}-suggestions"
        attrs = {**(attrs or {}), "list": list_id}
        return format_html(
            '{}<datalist id="{}">{}</datalist>', super().render(name, value, attrs, renderer), list_id,
            format_html_join("", '<option value="{}"></option>', ((option,) for option in self.options)),
        )


class VaccinationForm(ChangeForm):
    """A vaccine date from the health record (carnet de santé): not in the future, not before birth."""

    class Meta:
        model = Vaccination
        fields = services.VACCINATION_FIELDS
        widgets = {
            "vaccine": DatalistInput(USUAL_VACCINES, attrs={"autocomplete": "off"}),
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {"date": "Date de l'injection"}
        help_texts = {
            "vaccine": "Choisissez dans la liste (DTP, coqueluche, ROR…) ou écrivez le nom d'un autre vaccin.",
            "date": "Telle qu'elle figure dans le carnet de santé.",
        }
        error_messages = {
            "vaccine": {"required": "Indiquez le nom du vaccin."},
            "date": {"invalid": "Saisissez une date valide (jour/mois/année).", "required": "Indiquez la date du vaccin."},
        }

    def __init__(self, *args, child, **kwargs):
        super().__init__(*args, **kwargs)
        self.child = child
        today = timezone.localdate()
        self.fields["date"].widget.attrs.update({"max": today.isoformat(), "min": child.birth_date.isoformat()})

    def clean_date(self):
        day = self.cleaned_data.get("date")
        problem = vaccination_date_problem(day=day, birth_date=self.child.birth_date, today=timezone.localdate())
        if problem:
            raise forms.ValidationError(problem)
        return day


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
