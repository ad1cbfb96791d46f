"""The one way to send an e-mail: ``email_queue`` records it in the outbox in the
caller's transaction and queues the sending task after commit.

Nothing is lost: if the transaction rolls back, the e-mail disappears with the change that caused
it; if the broker is unreachable after commit, the row stays « En attente » and the outbox sweep
(``portal.tasks.outbox_sweep``, every 5 minutes) queues it again.
"""
import logging
import smtplib
import time
from datetime import timedelta
from email.utils import parseaddr

from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import models, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from .conf import setting
from .models import AuditLog, Organisation, OutboundEmail
from .queue import enqueue

logger = logging.getLogger(__name__)

# Templates whose body carries a secret link (password choice or reset): staff never read their body
# in the admin, and housekeeping erases it as soon as the link has expired.
SECRET_TEMPLATES = frozenset({"password_reset_key", "invitation"})


def email_queue(*, to, template, context=None, related=None):
    """Render ``emails/<template>.{subject.txt,txt,html}`` and record the e-mail.

    Returns the ``OutboundEmail`` row, or None when ``to`` is empty.
    """
    if not to:
        return None
    org = Organisation.current()
    ctx = {"organisation": org, "portal_url": settings.PORTAL_BASE_URL, **(context or {})}
    subject = " ".join(_render_plain(f"emails/{template}.subject.txt", ctx).split())
    body_text = _render_plain(f"emails/{template}.txt", ctx)
    body_html = render_to_string(f"emails/{template}.html", ctx)
    return email_record(
        to=to, subject=f"[{org.short_name or org.name}] {subject}", body_text=body_text, body_html=body_html,
        template=template, related=related,
    )


def _render_plain(name, ctx):
    """Render a plain-text template without HTML escaping (« L'été » must not become « L&#x27;été »)."""
    return get_template(name).template.render(Context(ctx, autoescape=False))


def _outbox_row(*, to, subject, body_text, body_html, template, related, queued_at):
    """The unsaved outbox row of a rendered e-mail (fields cut to their column sizes)."""
    return OutboundEmail(
        to=to,
        subject=" ".join(subject.split())[:250],
        body_text=body_text,
        body_html=body_html,
        template=template[:80],
        related_label=str(related)[:200] if related is not None else "",
        related_type=related._meta.label if related is not None else "",
        related_id=str(related.pk) if related is not None else "",
        queued_at=queued_at,
    )


def email_record(*, to, subject, body_text, body_html="", template="", related=None):
    """Record an already rendered e-mail in the outbox and send it after commit."""
    email = _outbox_row(to=to, subject=subject, body_text=body_text, body_html=body_html, template=template,
                        related=related, queued_at=timezone.now())
    email.save(force_insert=True)
    email_dispatch_on_commit([email.pk])
    return email


def email_queue_many(*, template, messages):
    """``email_queue`` for many e-mails of one template (e.g. a month of invoices).

    ``messages`` yields ``(to, context, related)``; those without ``to`` are skipped. The rows are
    the same as ``email_queue`` would record, but the organisation is read once, the three templates
    are loaded once, a context shared by several messages (the same object) is rendered once, the rows are inserted in one ``bulk_create`` and their sending is handed to
    Celery in one ``on_commit`` callback. Returns the ``OutboundEmail`` rows created.
    """
    org = Organisation.current()
    prefix = f"[{org.short_name or org.name}] "
    base = {"organisation": org, "portal_url": settings.PORTAL_BASE_URL}
    subject_template = get_template(f"emails/{template}.subject.txt").template
    text_template = get_template(f"emails/{template}.txt").template
    html_template = get_template(f"emails/{template}.html").template
    now = timezone.now()
    rows = []
    rendered = {}  # id(context) -> (subject, text, html): the same context sent to several guardians renders once
    for to, context, related in messages:
        if not to:
            continue
        if id(context) not in rendered:
            ctx = {**base, **(context or {})}
            plain = Context(ctx, autoescape=False)
            rendered[id(context)] = (" ".join(subject_template.render(plain).split()), text_template.render(plain),
                                     html_template.render(Context(ctx)))
        subject, body_text, body_html = rendered[id(context)]
        rows.append(_outbox_row(to=to, subject=prefix + subject, body_text=body_text, body_html=body_html,
                                template=template, related=related, queued_at=now))
    for row in rows:
        row.created_at = now
    outbox_insert(rows)
    email_dispatch_on_commit([email.pk for email in rows])
    return rows


def outbox_insert(rows, batch_size=1000):
    """Insert unsaved outbox rows (their ``created_at`` set) and set their ids (``bulk_create``: one
    statement per ``batch_size`` rows, on every database)."""
    if rows:
        OutboundEmail.objects.bulk_create(rows, batch_size=batch_size)


def email_dispatch_on_commit(ids, *, probe=False):
    """Hand the sending tasks of outbox rows ``ids`` to Celery once the current transaction commits."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: email_dispatch(ids, probe=probe), robust=True)


EMAIL_SEND_TASK = "portal.tasks.email_send"  # queued by name: portal.tasks imports this module

# Without a broker: set for a minute (in the shared cache) when an in-request send found SMTP failing.
# While set, requests leave their e-mails to the sweep instead of each waiting for the same dead server;
# the sweep (``probe``) still tries, one e-mail at a time.
SMTP_FAILING_KEY = "outbox:smtp-failing"
SMTP_FAILING_SECONDS = 60


def email_dispatch(ids, *, probe=False):
    """Queue one sending task per id. A broker failure is logged, never raised: the sweep retries later.

    Without a broker (Celery eager) the tasks run here, inside the request that committed: each sends once
    with a short SMTP timeout (``OUTBOX_EAGER_SMTP_TIMEOUT``); the loop stops at the first e-mail that could
    not be sent (and tells the next requests, see ``SMTP_FAILING_KEY``) or once ``OUTBOX_EAGER_BUDGET_SECONDS``
    are spent. What is left stays « En attente » for the sweep, so a request never waits on a dead SMTP
    server more than a few seconds, and no attempt is spent without waiting for its backoff.

    Returns how many tasks were handed to the broker (run, when eager).
    """
    eager = current_app.conf.task_always_eager
    if eager and not probe and cache.get(SMTP_FAILING_KEY):
        logger.info("SMTP failing: %d e-mail(s) left for the outbox sweep", len(ids))
        return 0
    deadline = time.monotonic() + setting("OUTBOX_EAGER_BUDGET_SECONDS")
    queued = 0
    for pk in ids:
        if eager and queued and time.monotonic() > deadline:
            logger.info("E-mail sending budget spent: %d e-mail(s) left for the outbox sweep", len(ids) - queued)
            break
        try:
            result = enqueue(EMAIL_SEND_TASK, pk)
        except Exception:  # broker down: the row stays queued and the sweep picks it up
            logger.warning("Could not queue e-mail %s; the outbox sweep will retry", pk, exc_info=True)
            break
        queued += 1
        outcome = getattr(result, "result", None) if eager else None
        if outcome == "retry":
            cache.set(SMTP_FAILING_KEY, True, SMTP_FAILING_SECONDS)
            if len(ids) > queued:
                logger.warning("SMTP failing: %d e-mail(s) left for the outbox sweep", len(ids) - queued)
            break
        if outcome == "sent" and probe and queued == 1:
            cache.delete(SMTP_FAILING_KEY)  # the sweep got through: requests send again at once
    return queued


def email_requeue(*, emails, actor=None, now=None):
    """Staff action « Renvoyer »: put failed e-mails back in the queue. Returns the rows re-queued.

    Only rows in « Échec » move; their attempts start again from zero. One audit entry per e-mail.
    """
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            OutboundEmail.objects.select_for_update()
            .filter(pk__in=[e.pk for e in emails], status=OutboundEmail.Status.FAILED)
            .order_by("pk")
        )
        for email in rows:
            AuditLog.objects.create(
                actor=actor, action="email_requeue",
                summary=f"E-mail « {email.subject} » à {email.to} remis en file d'envoi"[:300],
                old_values={"status": email.status, "attempts": email.attempts, "last_error": email.last_error[:500]},
                new_values={"status": OutboundEmail.Status.QUEUED},
            )
        OutboundEmail.objects.filter(pk__in=[e.pk for e in rows]).update(
            status=OutboundEmail.Status.QUEUED, attempts=0, next_attempt_at=None, queued_at=now,
        )
        email_dispatch_on_commit([e.pk for e in rows])
    return rows


# --- Delivery (called by the Celery task portal.tasks.email_send) ----------------------------------

class Delivery:
    """What one delivery attempt did: ``status`` in sent / failed / retry / skipped / busy / missing / not_due."""

    def __init__(self, status, *, retry_in=None, error=None):
        self.status = status
        self.retry_in = retry_in
        self.error = error

    def __repr__(self):
        return f"Delivery({self.status!r}, retry_in={self.retry_in!r})"


def retry_delay(attempts):
    """Seconds to wait after the ``attempts``-th failure: exponential, capped (30 s, 60 s, 2 min, 4 min…)."""
    base = setting("OUTBOX_RETRY_BASE_SECONDS")
    return min(setting("OUTBOX_RETRY_MAX_SECONDS"), base * 2 ** max(0, attempts - 1))


def error_is_permanent(exc):
    """An error that retrying will not fix: every recipient refused with a 5xx code, or a malformed message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    return not isinstance(exc, (smtplib.SMTPException, OSError, SoftTimeLimitExceeded))


def message_build(email, *, connection=None):
    message = EmailMultiAlternatives(
        email.subject, email.body_text, from_email=settings.DEFAULT_FROM_EMAIL, to=[email.to], connection=connection,
        headers={
            # A stable id per outbox row: should a relay ever receive it twice, mail clients show it once.
            "Message-ID": f"<outbox.{email.pk}.{int(email.created_at.timestamp())}@{message_domain()}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    return message


def message_domain():
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return sender.rpartition("@")[2] or "portail.invalid"


def email_deliver(*, email_id, respect_schedule=True, now=None, smtp_timeout=None):
    """Send outbox row ``email_id`` at most once (``smtp_timeout``: seconds, instead of ``EMAIL_TIMEOUT``).

    The row is locked for the whole attempt (``SELECT … FOR UPDATE SKIP LOCKED``): a second delivery of
    the same task while the first is sending finds it locked and stops; once sent, any later delivery
    finds it « Envoyé » and stops. Transient SMTP errors leave it queued with ``next_attempt_at`` and a
    ``retry_in`` for the caller; after ``OUTBOX_MAX_ATTEMPTS`` or on a permanent error it is « Échec ».
    """
    now = now or timezone.now()
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None:
            exists = OutboundEmail.objects.filter(pk=email_id).exists()
            return Delivery("busy" if exists else "missing")
        if email.status != OutboundEmail.Status.QUEUED:
            return Delivery("skipped")
        if respect_schedule and email.next_attempt_at and email.next_attempt_at > now + timedelta(seconds=5):
            # An early duplicate while the row waits for its retry: the scheduled retry will send it.
            return Delivery("not_due")
        email.attempts += 1
        try:
            connection = get_connection(timeout=smtp_timeout) if smtp_timeout else None
            message_build(email, connection=connection).send()
        except Exception as exc:  # noqa: BLE001 — every failure is recorded on the row
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if error_is_permanent(exc) or email.attempts >= setting("OUTBOX_MAX_ATTEMPTS"):
                email.status = OutboundEmail.Status.FAILED
                email.next_attempt_at = None
                email.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
                logger.error("E-mail %s failed for good after %d attempt(s): %s", email_id, email.attempts, exc)
                return Delivery("failed", error=exc)
            delay = retry_delay(email.attempts)
            email.next_attempt_at = now + timedelta(seconds=delay)
            email.queued_at = now
            email.save(update_fields=["attempts", "last_error", "next_attempt_at", "queued_at"])
            logger.warning("E-mail %s attempt %d failed, retry in %ss: %s", email_id, email.attempts, delay, exc)
            return Delivery("retry", retry_in=delay, error=exc)
        email.status = OutboundEmail.Status.SENT
        email.sent_at = timezone.now()
        email.last_error = ""
        email.next_attempt_at = None
        email.save(update_fields=["attempts", "last_error", "status", "sent_at", "next_attempt_at"])
        return Delivery("sent")


def outbox_requeue_stale(*, now, older_than_minutes=10, retry_grace_minutes=None, limit=1000):
    """Queue again the rows still « En attente » whose task has not run for ``older_than_minutes``.

    A row waiting for a retry counts from its ``next_attempt_at``, plus ``retry_grace_minutes`` (default
    ``older_than_minutes``: with a broker the task's own retry is due then; without one the sweep is the
    only retry, so it passes 0). Rows being sent (locked) are left alone. The rows get a fresh
    ``queued_at``, so running this twice in a row queues nothing more. Returns the number of rows queued again.
    """
    limit_at = now - timedelta(minutes=older_than_minutes)
    retry_grace = older_than_minutes if retry_grace_minutes is None else retry_grace_minutes
    retry_limit_at = now - timedelta(minutes=retry_grace)
    with transaction.atomic():
        ids = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(status=OutboundEmail.Status.QUEUED)
            .filter(
                models.Q(next_attempt_at__isnull=True, queued_at__lt=limit_at)
                | models.Q(next_attempt_at__isnull=True, queued_at__isnull=True, created_at__lt=limit_at)
                | models.Q(next_attempt_at__lte=retry_limit_at)
            )
            .order_by("created_at")
            .values_list("pk", flat=True)[:limit]
        )
        # With a broker the task queued now is the retry; without one (retry_grace_minutes=0) a row the
        # sweep does not reach this time keeps its due time and is first in line at the next sweep.
        schedule = {"next_attempt_at": None} if retry_grace else {}
        OutboundEmail.objects.filter(pk__in=ids).update(queued_at=now, **schedule)
        email_dispatch_on_commit(ids, probe=True)
    return len(ids)
