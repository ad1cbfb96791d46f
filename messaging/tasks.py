"""Thin Celery wrappers around the mass-message services, queued by name after commit (portal.queue)."""
from celery import shared_task

from . import mass_services


@shared_task(name="messaging.tasks.mass_message_deliver")
def mass_message_deliver(mass_message_id):
    """Threads, e-mails and SMS of one mass message (does nothing if already delivered)."""
    mass_services.mass_message_deliver(mass_message_id=mass_message_id)


@shared_task(name="messaging.tasks.sms_send")
def sms_send(sms_ids):
    """Send queued SMS through the configured provider (each once)."""
    return mass_services.sms_send(sms_ids=sms_ids)
