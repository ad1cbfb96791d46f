"""The messaging section of « Mes données »."""
from django.db.models import Prefetch

from portal.gdpr import register_export

from .models import Attachment, Message, SmsMessage, Thread


def messages_export(family):
    threads = Thread.objects.filter(family=family).select_related("service").prefetch_related(
        Prefetch("messages", queryset=Message.objects.order_by("created_at").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
        ))
    ).order_by("-last_message_at")
    return [
        {
            "objet": t.subject, "service": t.service.name, "theme": t.get_theme_display(), "etat": t.get_status_display(),
            "supprime_de_ma_boite": bool(t.family_deleted_at),
            "messages": [
                {"date": m.created_at, "auteur": m.author_name, "du_service": m.from_staff, "texte": m.body,
                 "pieces_jointes": [a.original_name for a in m.attachments.all()]}
                for m in t.messages.all()
            ],
        }
        for t in threads
    ]


register_export("messagerie", messages_export, label="Messagerie", order=60)


def sms_export(family):
    return [
        {"date": sms.sent_at or sms.created_at, "numero": sms.to, "texte": sms.body, "etat": sms.get_status_display()}
        for sms in SmsMessage.objects.filter(family=family).order_by("-created_at", "-pk")
    ]


register_export("sms", sms_export, label="SMS reçus du service", order=61)
