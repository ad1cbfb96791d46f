from django import forms
from django.contrib.auth import get_user_model

from django.utils import timezone

from enrolment.models import Activity, Group, Structure, Unit
from families.models import Family
from portal.uploads import MAX_ATTACHMENTS, private_file_field

from .models import MassMessage, Service, Thread
from .sms import sms_enabled


ATTACHMENT_FIELDS = [f"attachment_{i}" for i in range(1, MAX_ATTACHMENTS + 1)]


class AttachmentsMixin:
    """``MAX_ATTACHMENTS`` optional file fields (four, as seed 003 asks: proof of address, the rules sheet and two
    more), checked by content (portal.uploads); errors stay on their field. They come right after the message
    body, before any field the form declares after it."""

    max_attachments = MAX_ATTACHMENTS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = list(self.fields)
        after = names[names.index("body") + 1:]
        for number, name in enumerate(ATTACHMENT_FIELDS, start=1):
            self.fields[name] = private_file_field("1re pièce jointe" if number == 1 else f"{number}e pièce jointe")
        for name in after:
            self.fields[name] = self.fields.pop(name)

    def files_list(self):
        return [self.cleaned_data[name] for name in ATTACHMENT_FIELDS if self.cleaned_data.get(name)]


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
    copy_to_sender = forms.BooleanField(label="Recevoir une confirmation par e-mail", required=False)


class ReplyForm(AttachmentsMixin, forms.Form):
    body = forms.CharField(
        label="Votre réponse", widget=forms.Textarea(attrs={"rows": 5}), max_length=10000,
        error_messages={"required": "Écrivez votre réponse."},
    )


class StaffFilterForm(forms.Form):
    famille = forms.CharField(label="Famille (n° ou nom)", max_length=150, required=False)
    service = forms.ModelChoiceField(label="Service", queryset=Service.objects.all(), required=False, empty_label="Tous")
    status = forms.ChoiceField(label="État", choices=[("", "Tous"), *Thread.Status.choices], required=False)
    assigned = forms.ChoiceField(
        label="Suivi par", required=False, choices=[("", "Tout le monde"), ("me", "Moi"), ("none", "Personne")]
    )
    waiting = forms.BooleanField(label="Sans réponse depuis plus de 2 jours", required=False)
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

    def clean_family_number(self):
        number = self.cleaned_data["family_number"].strip()
        family = Family.objects.filter(number=number).first()
        if family is None:
            raise forms.ValidationError("Aucune famille ne porte ce numéro.")
        self.family = family
        return number


class _LabelledChoice(forms.ModelChoiceField):
    def __init__(self, *args, label_from=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._label_from = label_from

    def label_from_instance(self, obj):
        return self._label_from(obj) if self._label_from else super().label_from_instance(obj)


class MassMessageForm(forms.Form):
    """A message to many families. The target field says which of the next fields counts."""

    target = forms.ChoiceField(label="Écrire à", choices=MassMessage.Target.choices, widget=forms.RadioSelect,
                               initial=MassMessage.Target.ACTIVITY)
    structure = forms.ModelChoiceField(label="Équipement", queryset=Structure.objects.all(), required=False,
                                       empty_label="—")
    activity = _LabelledChoice(label="Activité", queryset=Activity.objects.none(), required=False, empty_label="—")
    group = _LabelledChoice(label="Groupe", queryset=Group.objects.none(), required=False, empty_label="—",
                            label_from=lambda g: f"{g.activity.name} – {g.name}")
    unit = _LabelledChoice(label="Unité (liste de présence)", queryset=Unit.objects.none(), required=False,
                           empty_label="—", label_from=lambda u: f"{u.activity.name} – {u.name}")
    day = forms.DateField(label="Jour (liste de présence)", required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    service = forms.ModelChoiceField(label="Envoyé au nom du service", queryset=Service.objects.all())
    subject = forms.CharField(label="Objet", max_length=200, error_messages={"required": "Indiquez l'objet du message."})
    body = forms.CharField(label="Message (Messagerie et e-mail)", widget=forms.Textarea(attrs={"rows": 8}),
                           max_length=10000, error_messages={"required": "Écrivez le message."})
    send_email = forms.BooleanField(label="Prévenir par e-mail (familles qui acceptent les e-mails)", required=False,
                                    initial=True)
    send_sms = forms.BooleanField(label="Envoyer aussi un SMS (familles qui acceptent les SMS)", required=False)
    sms_text = forms.CharField(
        label="Texte du SMS", required=False, max_length=918, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="160 caractères sans accents spéciaux font 1 SMS ; avec « ê », « ç »… 70 caractères par SMS.",
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        today = today or timezone.localdate()
        current = Activity.objects.filter(season_end__gte=today)
        self.fields["activity"].queryset = current.order_by("name")
        self.fields["group"].queryset = Group.objects.filter(activity__in=current).select_related("activity").order_by(
            "activity__name", "name")
        self.fields["unit"].queryset = Unit.objects.filter(activity__in=current).select_related("activity").order_by(
            "activity__name", "order", "pk")
        self.fields["service"].initial = Service.objects.filter(is_active=True).values_list("pk", flat=True).first()
        if not sms_enabled():
            del self.fields["send_sms"], self.fields["sms_text"]

    def clean(self):
        data = super().clean()
        target = data.get("target")
        required = {
            MassMessage.Target.STRUCTURE: [("structure", "Choisissez l'équipement.")],
            MassMessage.Target.ACTIVITY: [("activity", "Choisissez l'activité.")],
            MassMessage.Target.GROUP: [("group", "Choisissez le groupe.")],
            MassMessage.Target.DAY: [("unit", "Choisissez l'unité."), ("day", "Choisissez le jour.")],
        }.get(target, [])
        for name, message in required:
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        if data.get("send_sms") and not (data.get("sms_text") or "").strip():
            self.add_error("sms_text", "Écrivez le texte du SMS.")
        return data

    def target_kwargs(self):
        data = self.cleaned_data
        target = data["target"]
        kwargs = {"target": target}
        if target == MassMessage.Target.STRUCTURE:
            kwargs["structure"] = data["structure"]
        elif target == MassMessage.Target.ACTIVITY:
            kwargs["activity"] = data["activity"]
        elif target == MassMessage.Target.GROUP:
            kwargs["group"] = data["group"]
        else:
            kwargs.update(unit=data["unit"], day=data["day"])
        return kwargs
