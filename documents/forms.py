"""Forms of the documents area: input shape and field validation only (the decisions are in services)."""
from django import forms

from portal.uploads import private_file_field

from .models import DocumentType, RenewalSubmission


class DocumentUploadForm(forms.Form):
    document_type = forms.ModelChoiceField(
        label="Document", queryset=DocumentType.objects.filter(is_active=True), empty_label="— Choisissez le document —",
        error_messages={"required": "Choisissez le document que vous envoyez."},
    )
    file = private_file_field("Fichier", required=True, error_messages={"required": "Choisissez le fichier à envoyer."})


class QuotientForm(forms.Form):
    declared_quotient = forms.DecimalField(
        label="Quotient familial CAF", min_value=0, max_digits=8, decimal_places=2,
        help_text="Tel qu'il figure sur votre attestation CAF, en euros.",
        error_messages={"required": "Indiquez votre quotient familial."},
    )
    quotient_benefit_number = forms.CharField(label="N° allocataire", max_length=30, required=False)
    quotient_proof = private_file_field("Attestation de quotient familial")


class RenewalSubmitForm(forms.Form):
    family_comment = forms.CharField(
        label="Précisions pour le service (facultatif)", required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ConsentForm(forms.Form):
    """One field per pending version: a required checkbox, or an accept/refuse choice for optional texts."""

    def __init__(self, *args, versions, optional, **kwargs):
        super().__init__(*args, **kwargs)
        self.versions = versions
        for version in versions:
            name = f"consent_{version.pk}"
            if optional(version):
                self.fields[name] = forms.TypedChoiceField(
                    label=f"{version.title} (version {version.version})", widget=forms.RadioSelect,
                    choices=[("1", "J'accepte"), ("0", "Je refuse")], coerce=lambda v: v == "1",
                    error_messages={"required": "Indiquez votre choix."},
                )
            else:
                self.fields[name] = forms.BooleanField(
                    label=f"J'ai lu et j'accepte : {version.title} (version {version.version})",
                    error_messages={"required": "Vous devez accepter ce texte pour continuer."},
                )
            self.fields[name].version = version

    def answers(self):
        return {self.fields[name].version: value for name, value in self.cleaned_data.items()}


class RenewalDecisionForm(forms.ModelForm):
    """Admin form: the staff decision on a submitted renewal."""

    decision = forms.ChoiceField(
        label="Décision", required=False,
        choices=[("", "— aucune —"), ("validate", "Valider l'actualisation"), ("return", "Renvoyer à la famille")],
    )
    apply_quotient = forms.BooleanField(label="Appliquer le quotient déclaré au dossier", required=False, initial=True)

    class Meta:
        model = RenewalSubmission
        fields = ["staff_comment"]

    def clean(self):
        data = super().clean()
        if data.get("decision") == "return" and not (data.get("staff_comment") or "").strip():
            self.add_error("staff_comment", "Indiquez à la famille ce qu'elle doit corriger.")
        if data.get("decision") and self.instance.status != RenewalSubmission.Status.SUBMITTED:
            self.add_error("decision", "Seule une actualisation envoyée par la famille peut être validée ou renvoyée.")
        return data
