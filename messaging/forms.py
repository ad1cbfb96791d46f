from django import forms
from django.contrib.auth import get_user_model

from families.models import Family
from portal.uploads import private_file_field

from .models import Service, Thread


class AttachmentsMixin:
    """Three optional file fields checked by content (portal.uploads); errors stay on their field."""

    def files_list(self):
        return [self.cleaned_data.get(f"attachment_{i}") for i in (1, 2, 3) if self.cleaned_data.get(f"attachment_{i}")]


def _file_field(label):
    return private_file_field(label)


class ComposeForm(AttachmentsMixin, forms.Form):
    service = forms.ModelChoiceField(
        label="Service", queryset=Service.objects.filter(is_active=True), empty_label="— Veuillez sélectionner un service —",
        error_messages={"required": "Choisissez le service concerné.", "invalid_choice": "Choisissez un service de la liste."},
    )
    theme = forms.ChoiceField(
        label="Thème", choices=[("", "— Veuillez sélectionner un thème —"), *Thread.Theme.choices],
        error_messages={"required": "Choisissez un thème."},
    )
    subject = forms.CharField(label="Objet", max_length=200, error_messages={"required": "Indiquez l'objet du message."})
    body = forms.CharField(
        label="Message", widget=forms.Textarea(attrs={"rows": 8}), max_length=10000,
        error_messages={"required": "Écrivez votre message."},
    )
    attachment_1 = _file_field("1re pièce jointe")
    attachment_2 = _file_field("2e pièce jointe")
    attachment_3 = _file_field("3e pièce jointe")
    copy_to_sender = forms.BooleanField(label="Recevoir une confirmation par e-mail", required=False)


class ReplyForm(AttachmentsMixin, forms.Form):
    body = forms.CharField(
        label="Votre réponse", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000,
        error_messages={"required": "Écrivez votre réponse."},
    )
    attachment_1 = _file_field("1re pièce jointe")
    attachment_2 = _file_field("2e pièce jointe")
    attachment_3 = _file_field("3e pièce jointe")


class StaffFilterForm(forms.Form):
    famille = forms.CharField(label="Famille (n° ou nom)", max_length=150, required=False)
    service = forms.ModelChoiceField(label="Service", queryset=Service.objects.all(), required=False, empty_label="Tous")
    status = forms.ChoiceField(label="État", choices=[("", "Tous"), *Thread.Status.choices], required=False)
    assigned = forms.ChoiceField(
        label="Suivi par", required=False, choices=[("", "Tout le monde"), ("me", "Moi"), ("none", "Personne")]
    )
    archived = forms.BooleanField(label="Messages archivés", required=False)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label="Suivi par", queryset=get_user_model().objects.filter(is_staff=True, is_active=True).order_by("email"),
        required=False, empty_label="Personne",
    )
    status = forms.ChoiceField(label="État", choices=Thread.Status.choices)


class StaffComposeForm(AttachmentsMixin, forms.Form):
    family_number = forms.CharField(label="N° famille", max_length=20)
    service = forms.ModelChoiceField(label="Service", queryset=Service.objects.all())
    theme = forms.ChoiceField(label="Thème", choices=Thread.Theme.choices)
    subject = forms.CharField(label="Objet", max_length=200)
    body = forms.CharField(label="Message", widget=forms.Textarea(attrs={"rows": 8}), max_length=10000)
    attachment_1 = _file_field("1re pièce jointe")
    attachment_2 = _file_field("2e pièce jointe")
    attachment_3 = _file_field("3e pièce jointe")

    def clean_family_number(self):
        number = self.cleaned_data["family_number"].strip()
        family = Family.objects.filter(number=number).first()
        if family is None:
            raise forms.ValidationError("Aucune famille ne porte ce numéro.")
        self.family = family
        return number
