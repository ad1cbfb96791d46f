"""Writes of the messaging: threads, replies, read state, deletion per side, assignment."""
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from families import counters
from families.models import Guardian
from portal.errors import MessagingError
from portal.mail import email_queue
from portal.models import AuditLog, Organisation

from portal.uploads import MAX_ATTACHMENTS, safe_filename, upload_check

from .models import Attachment, Message, Thread


@transaction.atomic
def unread_recount(family_ids):
    """Set the counter row ``Family.unread_messages`` of these families to what the unread rule
    (``selectors.family_unread_messages``, registered in messaging/dashboard.py) counts, under the families'
    locks (``families.counters.recount``). Called in the transaction of every change of a message's read
    state, of a message from the service or of a thread's deletion by the family."""
    counters.recount(["unread_messages"], family_ids)


def _attach(message, files):
    files = [f for f in (files or []) if f]
    if len(files) > MAX_ATTACHMENTS:
        raise MessagingError(f"Vous pouvez joindre au plus {MAX_ATTACHMENTS} fichiers.")
    for uploaded in files:
        mime = upload_check(uploaded)
        Attachment.objects.create(
            message=message, file=uploaded, original_name=safe_filename(uploaded.name), content_type=mime,
            size=uploaded.size,
        )


def _family_recipients(family):
    return [
        g.email for g in Guardian.objects.filter(family=family).order_by("rank") if g.email
    ] if family.allow_email else []


def _notify_family(message, *, now):
    thread = message.thread
    org = Organisation.current()
    link = settings.PORTAL_BASE_URL + reverse("messaging:thread", args=[thread.pk])
    for to in _family_recipients(thread.family):
        email_queue(
            to=to, template="message_to_family", related=message,
            context={"thread": thread, "message": message, "link": link,
                     "include_body": org.email_includes_message_body},
        )


def _notify_staff(message):
    thread = message.thread
    org = Organisation.current()
    to = (thread.assigned_to.email if thread.assigned_to_id and thread.assigned_to.email else "") \
        or thread.service.email or org.email
    link = settings.PORTAL_BASE_URL + reverse("messaging_staff:thread", args=[thread.pk])
    email_queue(to=to, template="message_to_staff", related=message, context={"thread": thread, "link": link})


@transaction.atomic
def thread_start_by_family(*, family, guardian, user, service, theme, subject, body, files=(), copy_to_sender=False,
                           now=None):
    now = now or timezone.now()
    if not service.is_active:
        raise MessagingError("Ce service ne reçoit plus de messages : choisissez-en un autre.")
    thread = Thread.objects.create(
        family=family, service=service, theme=theme, subject=subject.strip(), status=Thread.Status.NEW,
        created_at=now, last_message_at=now, last_family_message_at=now,
    )
    message = Message.objects.create(
        thread=thread, author=user, author_name=guardian.full_name, from_staff=False, body=body.strip(), created_at=now
    )
    _attach(message, files)
    _notify_staff(message)
    if copy_to_sender and guardian.email:
        email_queue(
            to=guardian.email, template="message_copy", related=message,
            context={"thread": thread, "message": message,
                     "include_body": Organisation.current().email_includes_message_body,
                     "link": settings.PORTAL_BASE_URL + reverse("messaging:thread", args=[thread.pk])},
        )
    return thread


@transaction.atomic
def thread_start_by_staff(*, family, staff_user, service, theme, subject, body, files=(), now=None):
    now = now or timezone.now()
    thread = Thread.objects.create(
        family=family, service=service, theme=theme, subject=subject.strip(), status=Thread.Status.ANSWERED,
        started_by_staff=True, assigned_to=staff_user, created_at=now, last_message_at=now, last_staff_message_at=now,
    )
    message = Message.objects.create(
        thread=thread, author=staff_user, author_name=_staff_signature(thread), from_staff=True, body=body.strip(),
        created_at=now,
    )
    _attach(message, files)
    unread_recount([family.pk])
    _notify_family(message, now=now)
    AuditLog.objects.create(
        actor=staff_user, family=family, action="message_sent", summary=f"Message envoyé : {thread.subject}"[:300],
        new_values={"thread": thread.pk, "service": service.name},
    )
    return thread


def _staff_signature(thread):
    return f"Service {thread.service.name}"


@transaction.atomic
def message_reply_by_family(*, thread, guardian, user, body, files=(), now=None):
    now = now or timezone.now()
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    if not body.strip():
        raise MessagingError("Le message est vide.")
    message = Message.objects.create(
        thread=thread, author=user, author_name=guardian.full_name, from_staff=False, body=body.strip(), created_at=now
    )
    _attach(message, files)
    thread.last_message_at = thread.last_family_message_at = now
    thread.family_deleted_at = None
    thread.staff_deleted_at = None
    if thread.status == Thread.Status.ANSWERED:
        thread.status = Thread.Status.IN_PROGRESS
    thread.save(update_fields=["last_message_at", "last_family_message_at", "family_deleted_at", "staff_deleted_at",
                               "status"])
    unread_recount([thread.family_id])  # a deleted thread comes back with its unread messages
    _notify_staff(message)
    return message


@transaction.atomic
def message_reply_by_staff(*, thread, staff_user, body, files=(), now=None):
    now = now or timezone.now()
    thread = Thread.objects.select_for_update(of=("self",)).select_related("service", "family").get(pk=thread.pk)
    if not body.strip():
        raise MessagingError("La réponse est vide.")
    message = Message.objects.create(
        thread=thread, author=staff_user, author_name=_staff_signature(thread), from_staff=True, body=body.strip(),
        created_at=now,
    )
    _attach(message, files)
    # Replying means the family's messages have been read.
    thread.messages.filter(from_staff=False, read_at__isnull=True).update(read_at=now)
    old_status = thread.status
    thread.status = Thread.Status.ANSWERED
    thread.last_message_at = thread.last_staff_message_at = now
    thread.family_deleted_at = None
    if thread.assigned_to_id is None:
        thread.assigned_to = staff_user
    thread.save(update_fields=["status", "last_message_at", "last_staff_message_at", "family_deleted_at",
                               "assigned_to"])
    unread_recount([thread.family_id])
    _notify_family(message, now=now)
    AuditLog.objects.create(
        actor=staff_user, family=thread.family, action="message_reply",
        summary=f"Réponse au message « {thread.subject} »"[:300],
        old_values={"status": old_status}, new_values={"status": thread.status},
    )
    return message


@transaction.atomic
def thread_mark_read(*, thread, by_staff, now=None):
    """Mark the other side's messages as read. Returns how many changed."""
    now = now or timezone.now()
    changed = Message.objects.filter(thread=thread, from_staff=not by_staff, read_at__isnull=True).update(read_at=now)
    if changed and not by_staff:
        unread_recount([thread.family_id])
    return changed


@transaction.atomic
def thread_delete_for_family(*, thread, now=None):
    Thread.objects.filter(pk=thread.pk).update(family_deleted_at=now or timezone.now())
    unread_recount([thread.family_id])


@transaction.atomic
def thread_restore_for_family(*, thread):
    Thread.objects.filter(pk=thread.pk).update(family_deleted_at=None)
    unread_recount([thread.family_id])


def thread_archive_for_staff(*, thread, staff_user, archived=True, now=None):
    Thread.objects.filter(pk=thread.pk).update(staff_deleted_at=(now or timezone.now()) if archived else None)


@transaction.atomic
def thread_assign(*, thread, staff_user, assignee, status=None):
    thread = Thread.objects.select_for_update().get(pk=thread.pk)
    old = {"assigned_to": thread.assigned_to_id, "status": thread.status}
    thread.assigned_to = assignee
    if status:
        if status not in Thread.Status.values:
            raise MessagingError("État inconnu.")
        thread.status = status
    elif thread.status == Thread.Status.NEW and assignee is not None:
        thread.status = Thread.Status.IN_PROGRESS
    thread.save(update_fields=["assigned_to", "status"])
    AuditLog.objects.create(
        actor=staff_user, family_id=thread.family_id, action="message_assign",
        summary=f"Message « {thread.subject} » suivi par {assignee.get_full_name() or assignee.email if assignee else 'personne'}"[:300],
        old_values=old, new_values={"assigned_to": thread.assigned_to_id, "status": thread.status},
    )
    return thread
