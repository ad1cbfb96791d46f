"""Celery tasks queued by name, after the commit of the change that asks for them.

Services never import a ``tasks.py`` (tasks are thin wrappers that import services, so the reverse would be
a cycle): they name the task, e.g. ``enqueue_on_commit("enrolment.tasks.waiting_list_serve", unit_id, day)``,
and pass ids, never model instances. Same idea as pretix's ``TransactionAwareTask`` and Zulip's
``queue_event_on_commit``.

- With a broker the message goes out once the transaction has committed; nothing goes if it rolls back.
- Without a broker (``CELERY_TASK_ALWAYS_EAGER``, no ``REDIS_URL``) the task runs here, in-process, after the
  commit. ``signature(...).apply_async()`` honours that only for a task registered in this process: each
  app's ``AppConfig.ready()`` imports its ``tasks`` module, and ``enqueue`` refuses an unknown name.
- A broker failure after commit is logged, never raised: the change is committed, and what the task would
  have done is recovered elsewhere (the outbox sweep re-sends e-mails, PDFs render on first download, the
  periodic jobs serve waiting lists).
"""
import functools
import logging

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task_name, *args, **kwargs):
    """Queue the task ``task_name`` now (run it now when eager) and return its result handle. Raises
    what the broker raises: callers that queue several tasks in a row decide what a failure stops."""
    app = current_app
    if app.conf.task_always_eager and task_name not in app.tasks:
        # Unregistered, signature().apply_async() would fall back to send_task and a message nobody reads.
        raise LookupError(f"Celery task {task_name!r} is not registered (is its app's tasks module imported?)")
    return app.signature(task_name, args=args, kwargs=kwargs).apply_async()


def enqueue_on_commit(task_name, *args, **kwargs):
    """Queue ``task_name(*args, **kwargs)`` once the current transaction commits (at once outside one).

    A failure to queue (broker down) or, when eager, an error of the task itself, is logged, never raised.
    The callback is ``functools.partial(send_logged, task_name, args, kwargs)``: tests can tell what it queues.
    """
    transaction.on_commit(functools.partial(send_logged, task_name, args, kwargs), robust=True)


def send_logged(task_name, args, kwargs):
    """``enqueue``, logging rather than raising a failure (the commit is done: sweeps and jobs recover)."""
    try:
        enqueue(task_name, *args, **kwargs)
    except Exception:  # noqa: BLE001
        logger.warning("Could not queue task %s; it is left to the periodic jobs", task_name, exc_info=True)
