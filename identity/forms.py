"""Input shapes of the identity pages: the family file a new family types, a message, a refusal reason."""
from django import forms

from families.models import Child, Family, Guardian


class GuardianForm(forms.Form):
    civility = forms.ChoiceField(label="Civilité", choices=Guardian.Civility.choices)
    first_name = forms.CharField(label="Prénom", max_length=100)
    last_name = forms.CharField(label="Nom", max_length=100)
    birth_date = forms.DateField(label="Date de naissance", widget=forms.DateInput(attrs={"type": "date"}))
    relationship = forms.ChoiceField(label="Lien avec les enfants", choices=Guardian.Relationship.choices)
    mobile_phone = forms.CharField(label="Téléphone portable", max_length=30,
                                   widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email = forms.EmailField(label="E-mail", required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))

    def __init__(self, *args, optional=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.optional = optional
        if optional:
            for field in self.fields.values():
                field.required = False

    def clean(self):
        data = super().clean()
        if self.optional and any(data.get(name) for name in ("first_name", "last_name")):
            for name in ("first_name", "last_name"):
                if not data.get(name):
                    self.add_error(name, "Renseignez le nom et le prénom du second responsable, ou laissez-les vides.")
        return data

    def is_empty(self):
        return not (self.cleaned_data.get("first_name") or self.cleaned_data.get("last_name"))


class FamilyForm(forms.Form):
    situation = forms.ChoiceField(label="Situation familiale", choices=Family.Situation.choices)
    address_line1 = forms.CharField(label="Adresse", max_length=250,
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line1"}))
    address_line2 = forms.CharField(label="Complément d'adresse", max_length=250, required=False,
                                    widget=forms.TextInput(attrs={"autocomplete": "address-line2"}))
    postcode = forms.RegexField(label="Code postal", regex=r"^\d{5}$", error_messages={"invalid": "Le code postal a 5 chiffres."},
                                widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}))
    city = forms.CharField(label="Commune", max_length=100, widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    benefit_regime = forms.ChoiceField(label="Régime", choices=Family.BenefitRegime.choices)
    benefit_number = forms.CharField(label="N° allocataire CAF ou MSA", max_length=30, required=False)


CHILD_ROWS = 4


class ChildForm(forms.Form):
    """One child row; a row left blank is ignored, a row half filled is an error."""
    first_name = forms.CharField(label="Prénom", max_length=100, required=False)
    last_name = forms.CharField(label="Nom", max_length=100, required=False)
    birth_date = forms.DateField(label="Date de naissance", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(label="Sexe", choices=[("", "—"), *Child.Sex.choices], required=False)

    def clean(self):
        data = super().clean()
        filled = [name for name in ("first_name", "last_name", "birth_date", "sex") if data.get(name)]
        if filled and len(filled) < 4:
            for name in ("first_name", "last_name", "birth_date", "sex"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, "Renseignez le prénom, le nom, la date de naissance et le sexe de l'enfant.")
        return data

    def is_empty(self):
        return not any(self.cleaned_data.get(name) for name in ("first_name", "last_name", "birth_date", "sex"))


class MessageForm(forms.Form):
    body = forms.CharField(label="Votre message au service", max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))


def serialise(family_form, guardian_forms, child_forms):
    """The JSON kept on the request (dates as ISO strings)."""
    def clean(data):
        return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in data.items()}
    guardians = [clean(f.cleaned_data) for f in guardian_forms if not f.is_empty()]
    children = [clean(f.cleaned_data) for f in child_forms if not f.is_empty()]
    return {**clean(family_form.cleaned_data), "guardians": guardians, "children": children}
