"""Thin Celery wrappers around the mass-message services, queued by name after commit (portal.queue)."""
from celery import shared_task

from . import mass_services


@shared_task(name="messaging.tasks.mass_message_deliver")
def mass_message_deliver(mass_message_id):
    """Threads, e-mails and SMS of one mass message (does nothing if already delivered)."""
    mass_services.mass_message_deliver(mass_message_id=mass_message_id)


@shared_task(name="messaging.tasks.sms_send", bind=True, max_retries=mass_services.SMS_MAX_ATTEMPTS)
def sms_send(self, sms_ids):
    """Send queued SMS through the configured provider (each once); those the provider could not take are
    tried again a few minutes later."""
    sent, retry = mass_services.sms_send(sms_ids=sms_ids)
    if retry and not self.request.is_eager:
        raise self.retry(args=(retry,), countdown=300 * (self.request.retries + 1))
    return sent
