"""Thin Celery wrappers around the outbox."""
import logging
import smtplib

from celery import shared_task
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from .models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@shared_task(bind=True, acks_late=True, max_retries=MAX_ATTEMPTS, default_retry_delay=30)
def email_send(self, email_id):
    """Send one outbox row. A redelivered task finds the row sent and does nothing."""
    with transaction.atomic():
        email = OutboundEmail.objects.select_for_update(skip_locked=True).filter(pk=email_id).first()
        if email is None or email.status == OutboundEmail.Status.SENT:
            return "skipped"
        email.attempts += 1
        message = EmailMultiAlternatives(email.subject, email.body_text, to=[email.to])
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as exc:
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            final = self.request.retries >= MAX_ATTEMPTS
            email.status = OutboundEmail.Status.FAILED if final else OutboundEmail.Status.QUEUED
            email.save(update_fields=["attempts", "last_error", "status"])
            if final:
                logger.error("E-mail %s failed for good: %s", email_id, exc)
                return "failed"
            retry_exc = exc
        else:
            email.status = OutboundEmail.Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
            email.save(update_fields=["attempts", "last_error", "status", "sent_at"])
            return "sent"
    raise self.retry(exc=retry_exc, countdown=min(600, 30 * 2**self.request.retries))


@shared_task
def outbox_sweep(older_than_minutes=10, now=None):
    """Re-queue e-mails left queued (broker down, worker died). Idempotent."""
    now = now or timezone.now()
    ids = list(
        OutboundEmail.objects.filter(
            status=OutboundEmail.Status.QUEUED, created_at__lt=now - timezone.timedelta(minutes=older_than_minutes)
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in ids:
        email_send.delay(pk)
    logger.info("outbox_sweep re-queued %d e-mail(s)", len(ids))
    return len(ids)
