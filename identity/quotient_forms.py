"""Forms of the parent's quotient pages: consent and identity for API Particulier, or the certificate."""
import datetime

from django import forms
from django.core.validators import RegexValidator

from portal.uploads import private_file_field

from .api_particulier import Identity

FRANCE = "99100"


class QuotientFetchForm(forms.Form):
    """The identity pivot asked by API Particulier; ``identity_required`` False when FranceConnect gives it."""

    consent = forms.BooleanField(
        label="J'accepte que le service interroge la CAF ou la MSA pour connaître mon quotient familial.",
        error_messages={"required": "Cochez la case pour accepter que le service interroge la CAF ou la MSA."},
    )
    sex = forms.ChoiceField(label="Sexe à l'état civil", choices=[("F", "Femme"), ("M", "Homme")], widget=forms.RadioSelect,
                            required=False)
    birth_name = forms.CharField(label="Nom de naissance", max_length=100, required=False)
    first_names = forms.CharField(label="Prénoms", max_length=200, required=False,
                                  help_text="Tous vos prénoms, dans l'ordre de l'état civil, séparés par des espaces.")
    birth_date = forms.DateField(label="Date de naissance", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                 error_messages={"invalid": "Indiquez une date de naissance valide (jj/mm/aaaa)."})
    born_abroad = forms.BooleanField(label="Je suis né(e) hors de France", required=False)
    birth_commune = forms.CharField(
        label="Code INSEE de la commune de naissance", max_length=5, required=False,
        validators=[RegexValidator(r"^[0-9][0-9AB][0-9]{3}$", "Le code INSEE compte 5 caractères, par ex. 26362.")],
        help_text="5 caractères, par ex. 26362 pour Valence (ce n'est pas le code postal : il figure sur le site "
                  "de l'INSEE ou sur votre acte de naissance).",
    )
    birth_country = forms.CharField(
        label="Code INSEE du pays de naissance (si né(e) hors de France)", max_length=5, required=False,
        validators=[RegexValidator(r"^99[0-9]{3}$", "Le code INSEE d'un pays compte 5 chiffres et commence par 99.")],
        help_text="Par ex. 99134 pour l'Espagne.",
    )

    def __init__(self, *args, identity_required=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.identity_required = identity_required

    def clean(self):
        data = super().clean()
        if not self.identity_required and not any(data.get(f) for f in ("birth_name", "first_names", "birth_date")):
            data["identity"] = None
            return data
        messages = {
            "sex": "Indiquez votre sexe à l'état civil.",
            "birth_name": "Indiquez votre nom de naissance.",
            "first_names": "Indiquez vos prénoms.",
            "birth_date": "Indiquez votre date de naissance.",
        }
        for name, message in messages.items():
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        birth_date = data.get("birth_date")
        if birth_date and not (datetime.date(1900, 1, 1) <= birth_date <= datetime.date.today()):
            self.add_error("birth_date", "Indiquez une date de naissance valide.")
        abroad = data.get("born_abroad")
        if abroad and not data.get("birth_country") and "birth_country" not in self.errors:
            self.add_error("birth_country", "Indiquez le code INSEE de votre pays de naissance.")
        if not abroad and not data.get("birth_commune") and "birth_commune" not in self.errors:
            self.add_error("birth_commune", "Indiquez le code INSEE de votre commune de naissance.")
        if not self.errors:
            data["identity"] = Identity(
                birth_name=data["birth_name"], first_names=tuple(data["first_names"].split()),
                birth_date=birth_date, sex=data["sex"],
                birth_country=data["birth_country"] if abroad else FRANCE,
                birth_commune="" if abroad else data["birth_commune"].upper(),
            )
        return data


class QuotientProofForm(forms.Form):
    value = forms.DecimalField(
        label="Quotient familial", min_value=0, max_digits=8, decimal_places=2,
        help_text="Tel qu'il figure sur l'attestation de la CAF ou de la MSA, en euros.",
        error_messages={"required": "Indiquez votre quotient familial.", "invalid": "Indiquez un montant, par ex. 742."},
    )
    benefit_number = forms.CharField(label="N° allocataire", max_length=30, required=False)
    proof = private_file_field("Attestation de quotient familial", required=True,
                               error_messages={"required": "Joignez l'attestation de la CAF ou de la MSA."})
