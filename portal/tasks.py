"""Thin Celery wrappers around the outbox and the portal's housekeeping.

Workers run with late acknowledgement and ``reject_on_worker_lost`` (settings ``CELERY_TASK_ACKS_LATE``,
``CELERY_TASK_REJECT_ON_WORKER_LOST``): a worker that dies mid-task gets its task delivered again, and
``email_send`` makes that harmless.
"""
import logging

from celery import current_app, shared_task

from . import housekeeping
from .conf import setting
from .jobs import periodic_job
from .mail import email_deliver, outbox_requeue_stale

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None, soft_time_limit=120, time_limit=180)
def email_send(self, email_id):
    """Send one outbox row. A redelivered task finds the row sent (or being sent) and does nothing.

    With a broker a transient failure is retried by Celery after the backoff delay. Without one (eager:
    the task runs inside the request, where a countdown is ignored) it is tried once with a short SMTP
    timeout and left « En attente » with its ``next_attempt_at``: the outbox sweep retries it when due.
    """
    eager = bool(self.request.is_eager)
    delivery = email_deliver(
        email_id=email_id, respect_schedule=self.request.retries == 0,
        smtp_timeout=setting("OUTBOX_EAGER_SMTP_TIMEOUT") if eager else None,
    )
    if delivery.status == "retry" and not eager:
        raise self.retry(exc=delivery.error, countdown=delivery.retry_in)
    return delivery.status


BACKLOG_GRACE_MINUTES = 60
EAGER_GRACE_MINUTES = 2


def broker_backlog():
    """Tasks waiting in the broker's default queue; 0 in-process or when the broker cannot tell."""
    app = current_app
    if app.conf.task_always_eager:
        return 0
    try:
        with app.connection_for_read() as conn:
            queue = app.conf.task_default_queue
            return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception:  # noqa: BLE001 — the sweep must work even when this cannot be measured
        logger.warning("Could not measure the broker backlog", exc_info=True)
        return 0


@shared_task
@periodic_job("Relance des e-mails restés en attente", keep_idle=False)
def outbox_sweep(*, now, run, older_than_minutes=10):
    """Re-queue e-mails left queued (broker down, worker died, SMTP down without a broker). Idempotent.

    Without a broker it runs from ``OutboxSweepMiddleware`` (at most once a minute, after a request) as
    well as from beat if one runs.

    While the workers are still draining a backlog (a mass mailing), rows are given
    ``BACKLOG_GRACE_MINUTES`` before being queued again: their task is most likely still waiting.
    """
    if current_app.conf.task_always_eager:
        # No broker: no task can be waiting in a queue, and the sweep is the only retry. A row never tried
        # (its request's sending budget was spent) waits EAGER_GRACE_MINUTES; a retry is due at its time.
        count = outbox_requeue_stale(now=now, older_than_minutes=EAGER_GRACE_MINUTES, retry_grace_minutes=0)
        if count:
            run.add("e-mails remis en file d'envoi", count)
        return
    if broker_backlog():
        older_than_minutes = max(older_than_minutes, BACKLOG_GRACE_MINUTES)
    count = outbox_requeue_stale(now=now, older_than_minutes=older_than_minutes)
    if count:
        run.add("e-mails remis en file d'envoi", count)


@shared_task
@periodic_job("Entretien quotidien (invitations, conservation des données)")
def housekeeping_daily(*, now, run):
    """Expire and purge old invitations, erase expired links and old bodies from the outbox, trim the job log."""
    housekeeping.run_all(now=now, run=run)
