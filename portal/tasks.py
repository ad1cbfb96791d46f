"""Thin Celery wrappers around the outbox and the portal's housekeeping.

Workers run with late acknowledgement and ``reject_on_worker_lost`` (settings ``CELERY_TASK_ACKS_LATE``,
``CELERY_TASK_REJECT_ON_WORKER_LOST``): a worker that dies mid-task gets its task delivered again, and
``email_send`` makes that harmless.
"""
import logging

from celery import shared_task

from . import housekeeping
from .jobs import periodic_job
from .mail import email_deliver, outbox_requeue_stale

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, soft_time_limit=120, time_limit=180)
def email_send(self, email_id):
    """Send one outbox row. A redelivered task finds the row sent (or being sent) and does nothing."""
    delivery = email_deliver(email_id=email_id, respect_schedule=self.request.retries == 0)
    if delivery.status == "retry":
        raise self.retry(exc=delivery.error, countdown=delivery.retry_in)
    return delivery.status


@shared_task
@periodic_job("Relance des e-mails restés en attente", keep_idle=False)
def outbox_sweep(*, now, run, older_than_minutes=10):
    """Re-queue e-mails left queued (broker down, worker died). Idempotent."""
    count = outbox_requeue_stale(now=now, older_than_minutes=older_than_minutes)
    if count:
        run.add("e-mails remis en file d'envoi", count)


@shared_task
@periodic_job("Entretien quotidien (invitations, conservation des données)")
def housekeeping_daily(*, now, run):
    """Expire and purge old invitations, erase expired links and old bodies from the outbox, trim the job log."""
    housekeeping.run_all(now=now, run=run)
