from django import forms

from messaging.forms import ATTACHMENT_HELP
from portal.uploads import upload_check
from portal.errors import UploadError

from .models_documents import DocumentType, RenewalSubmission


def _checked(uploaded):
    if uploaded:
        try:
            upload_check(uploaded)
        except UploadError as exc:
            raise forms.ValidationError(exc.message) from None
    return uploaded


class DocumentUploadForm(forms.Form):
    document_type = forms.ModelChoiceField(
        label="Document", queryset=DocumentType.objects.filter(is_active=True), empty_label="— Choisissez le document —",
        error_messages={"required": "Choisissez le document que vous envoyez."},
    )
    file = forms.FileField(
        label="Fichier", help_text=ATTACHMENT_HELP, error_messages={"required": "Choisissez le fichier à envoyer."},
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )

    def clean_file(self):
        return _checked(self.cleaned_data.get("file"))


class QuotientForm(forms.Form):
    declared_quotient = forms.DecimalField(
        label="Quotient familial CAF", min_value=0, max_digits=8, decimal_places=2,
        help_text="Tel qu'il figure sur votre attestation CAF, en euros.",
        error_messages={"required": "Indiquez votre quotient familial."},
    )
    quotient_benefit_number = forms.CharField(label="N° allocataire", max_length=30, required=False)
    quotient_proof = forms.FileField(
        label="Attestation de quotient familial", required=False, help_text=ATTACHMENT_HELP,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )

    def clean_quotient_proof(self):
        return _checked(self.cleaned_data.get("quotient_proof"))


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
