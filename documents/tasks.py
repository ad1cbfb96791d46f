"""Periodic job of the yearly renewal (scheduled in portal/celery.py)."""
from celery import shared_task

from portal.jobs import periodic_job

from .services import renewal_send_reminders


@shared_task
@periodic_job("Relances de l'actualisation du dossier famille")
def renewal_reminders(*, now, run):
    """E-mail families whose renewal is not sent yet; idempotent (at most one reminder per period)."""
    run.add("familles relancées", renewal_send_reminders(now=now))
