"""Writes of mass messages: a message to the families of a site, an activity, a group or a day's list,
kept in each family's Messagerie, sent by e-mail (outbox) and by SMS (``messaging.sms``).

Staff create it (``mass_message_create``: checked, audited, delivery queued after commit); a task delivers
it (``mass_message_deliver``: once, whatever the number of runs); SMS leave one by one (``sms_send``).
"""
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.errors import MessagingError
from portal.mail import email_queue_many
from portal.models import AuditLog, Organisation
from portal.queue import enqueue_on_commit

from . import selectors
from .models import MassMessage, Message, SmsMessage, Thread
from .services import unread_recount
from .sms import MAX_PARTS, SmsSendError, sms_enabled, sms_provider, sms_segments

logger = logging.getLogger(__name__)

SMS_BATCH = 50  # SMS per sending task


def _target_label(*, target, structure, activity, group, unit, day):
    if target == MassMessage.Target.STRUCTURE:
        return f"Équipement {structure}"
    if target == MassMessage.Target.ACTIVITY:
        return f"Activité {activity}"
    if target == MassMessage.Target.GROUP:
        return f"Groupe {group} ({group.activity})"
    return f"Présents le {day:%d/%m/%Y} – {unit.activity} – {unit.name}"


def mass_message_check(*, target, structure=None, activity=None, group=None, unit=None, day=None, send_email=True,
                       send_sms=False, sms_text=""):
    """Raise ``MessagingError`` (in French) if the target or channels are incomplete."""
    needed = {MassMessage.Target.STRUCTURE: structure, MassMessage.Target.ACTIVITY: activity,
              MassMessage.Target.GROUP: group, MassMessage.Target.DAY: unit if day else None}
    if target not in needed:
        raise MessagingError("Choisissez à qui écrire.")
    if needed[target] is None:
        raise MessagingError({
            MassMessage.Target.STRUCTURE: "Choisissez l'équipement.", MassMessage.Target.ACTIVITY: "Choisissez l'activité.",
            MassMessage.Target.GROUP: "Choisissez le groupe.", MassMessage.Target.DAY: "Choisissez l'unité et le jour.",
        }[target])
    if send_sms:
        if not sms_enabled():
            raise MessagingError("L'envoi de SMS n'est pas configuré sur ce portail.")
        if not sms_text.strip():
            raise MessagingError("Écrivez le texte du SMS.")
        if sms_segments(sms_text.strip()).count > MAX_PARTS:
            raise MessagingError(f"Le SMS est trop long : {MAX_PARTS} SMS au plus.")


def mass_message_preview(*, target, structure=None, activity=None, group=None, unit=None, day=None, today=None):
    """What a mass message would reach, opt-outs applied (see ``selectors.mass_message_recipients``)."""
    families = selectors.mass_message_families(target=target, structure=structure, activity=activity, group=group,
                                               unit=unit, day=day, today=today)
    return selectors.mass_message_recipients(families)


@transaction.atomic
def mass_message_create(*, staff_user, service, target, subject, body, structure=None, activity=None, group=None,
                        unit=None, day=None, send_email=True, send_sms=False, sms_text="", now=None):
    now = now or timezone.now()
    mass_message_check(target=target, structure=structure, activity=activity, group=group, unit=unit, day=day,
                       send_email=send_email, send_sms=send_sms, sms_text=sms_text)
    if not subject.strip() or not body.strip():
        raise MessagingError("L'objet et le message sont obligatoires.")
    keep = {
        MassMessage.Target.STRUCTURE: {"structure": structure}, MassMessage.Target.ACTIVITY: {"activity": activity},
        MassMessage.Target.GROUP: {"group": group}, MassMessage.Target.DAY: {"unit": unit, "day": day},
    }[target]
    mass_message = MassMessage.objects.create(
        created_at=now, author=staff_user, service=service, subject=subject.strip(), body=body.strip(),
        sms_text=sms_text.strip() if send_sms else "", send_email=send_email, send_sms=send_sms, target=target,
        target_label=_target_label(target=target, structure=structure, activity=activity, group=group, unit=unit,
                                   day=day)[:300],
        **keep,
    )
    AuditLog.objects.create(
        actor=staff_user, action="mass_message",
        summary=f"Message groupé « {mass_message.subject} » – {mass_message.target_label}"[:300],
        new_values={"mass_message": mass_message.pk, "target": target, "email": send_email, "sms": send_sms,
                    "service": service.name},
    )
    enqueue_on_commit("messaging.tasks.mass_message_deliver", mass_message.pk)
    return mass_message


def mass_message_deliver(*, mass_message_id, now=None):
    """Deliver a queued mass message: threads and messages, e-mails, SMS rows (sent by ``sms_send`` tasks
    after commit). Runs once: a second run finds the message already « Envoyé » and does nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        mass_message = MassMessage.objects.select_for_update(of=("self",)).select_related(
            "service", "author", "unit", "group__activity"
        ).filter(pk=mass_message_id, status=MassMessage.Status.QUEUED).first()
        if mass_message is None:
            return None
        families = selectors.mass_message_families(
            target=mass_message.target, structure=mass_message.structure_id, activity=mass_message.activity_id,
            group=mass_message.group_id, unit=mass_message.unit_id, day=mass_message.day,
            today=timezone.localdate(mass_message.created_at),
        )
        recipients = selectors.mass_message_recipients(families)
        threads = Thread.objects.bulk_create([
            Thread(family=family, service=mass_message.service, theme=Thread.Theme.INFORMATION,
                   subject=mass_message.subject, status=Thread.Status.ANSWERED, started_by_staff=True,
                   assigned_to=mass_message.author, mass_message=mass_message, created_at=now, last_message_at=now,
                   last_staff_message_at=now)
            for family in recipients["families"]
        ])
        signature = f"Service {mass_message.service.name}"
        messages = Message.objects.bulk_create([
            Message(thread=thread, author=mass_message.author, author_name=signature, from_staff=True,
                    body=mass_message.body, created_at=now)
            for thread in threads
        ])
        by_family = {thread.family_id: (thread, message) for thread, message in zip(threads, messages)}
        unread_recount(by_family)
        emails = []
        if mass_message.send_email:
            include_body = Organisation.current().email_includes_message_body
            contexts = {}
            for family, guardian in recipients["emails"]:
                thread, message = by_family[family.pk]
                if family.pk not in contexts:
                    contexts[family.pk] = {
                        "thread": thread, "message": message, "include_body": include_body,
                        "link": settings.PORTAL_BASE_URL + reverse("messaging:thread", args=[thread.pk]),
                    }
                emails.append((guardian.email, contexts[family.pk], message))
            emails = email_queue_many(template="message_to_family", messages=emails)
        sms_rows = []
        if mass_message.send_sms and mass_message.sms_text:
            segments = sms_segments(mass_message.sms_text)
            provider = getattr(sms_provider(), "name", "")
            sms_rows = SmsMessage.objects.bulk_create([
                SmsMessage(created_at=now, mass_message=mass_message, family=family, to=number,
                           body=mass_message.sms_text, encoding=segments.encoding, segments=segments.count,
                           provider=provider)
                for family, guardian, number in recipients["sms"]
            ])
            ids = [row.pk for row in sms_rows]
            for start in range(0, len(ids), SMS_BATCH):
                enqueue_on_commit("messaging.tasks.sms_send", ids[start:start + SMS_BATCH])
        mass_message.status = MassMessage.Status.SENT
        mass_message.delivered_at = now
        mass_message.families_count = len(threads)
        mass_message.emails_count = len(emails)
        mass_message.sms_count = len(sms_rows)
        mass_message.save(update_fields=["status", "delivered_at", "families_count", "emails_count", "sms_count"])
    return mass_message


SMS_MAX_ATTEMPTS = 3


def sms_send(*, sms_ids, provider=None, now=None):
    """Send the queued SMS ``sms_ids``, each once: a row already sent or failed is left alone (a task run
    twice sends nothing twice). A provider that cannot be reached leaves the row queued for a later try, up
    to ``SMS_MAX_ATTEMPTS``; a refusal fails it at once. Returns ``(sent, ids still queued)``."""
    provider = provider or sms_provider()
    sent, retry = 0, []
    for pk in sms_ids:
        with transaction.atomic():
            sms = SmsMessage.objects.select_for_update().filter(pk=pk, status=SmsMessage.Status.QUEUED).first()
            if sms is None:
                continue
            sms.attempts += 1
            if provider is None:
                sms.status, sms.last_error = SmsMessage.Status.FAILED, "Aucun fournisseur de SMS n'est configuré."
            else:
                sms.provider = provider.name
                try:
                    sms.provider_id = provider.send(to=sms.to, text=sms.body)
                except SmsSendError as exc:
                    logger.warning("SMS %s not sent: %s", pk, exc.message)
                    sms.last_error = exc.message[:500]
                    if exc.permanent or sms.attempts >= SMS_MAX_ATTEMPTS:
                        sms.status = SmsMessage.Status.FAILED
                    else:
                        retry.append(pk)
                else:
                    sms.status, sms.sent_at, sms.last_error = SmsMessage.Status.SENT, now or timezone.now(), ""
                    sent += 1
            sms.save(update_fields=["attempts", "provider_id", "status", "sent_at", "last_error", "provider"])
    return sent, retry
