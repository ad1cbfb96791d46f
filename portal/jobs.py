"""Periodic jobs that staff can follow: every run writes a ``JobRun`` (admin: « Exécutions des tâches »).

Usage in an app's ``tasks.py`` (the schedule itself goes in ``portal/celery.py``)::

    from celery import shared_task
    from portal.jobs import periodic_job

    @shared_task
    @periodic_job("Rappels de date limite de réservation")
    def deadline_reminders(*, now, run):
        for enrolment in ...:
            ...
            run.add("rappels envoyés")          # counter with a French label
        run.note("Période du 01/12 au 31/12")  # free French line

The wrapped function is called as ``deadline_reminders(now=None)`` (beat passes nothing: ``now`` defaults
to ``timezone.now()``; tests pass an aware datetime or an ISO string). It returns a small JSON-able dict
``{"job_run": id, "status": "success", "summary": "...", "counts": {...}}``.

Rules every job follows:
- idempotent: it computes what remains to do from the database (running it twice does nothing more);
- ``once_per="month"`` (or ``"day"``, or a callable ``now -> str``) adds a guard: a successful run already
  recorded for the same period makes later runs « Ignorée » (e.g. monthly invoicing);
- two runs of the same job never overlap (a lock in the cache — Redis in production); the second one is
  recorded as « Ignorée »;
- an exception marks the run « Échec » with the error, then propagates (Celery logs it).
The job's own writes are not wrapped in one transaction: pass ``atomic=True`` when all-or-nothing is wanted.
"""
import functools
import inspect
import logging
import traceback
from contextlib import contextmanager
from datetime import datetime

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .models import JobRun

logger = logging.getLogger(__name__)

LOCK_TIMEOUT = 60 * 60  # seconds: a crashed run frees the lock after an hour at most


class JobSkipped(Exception):
    """Raise inside a job to stop it and record the run as « Ignorée » with this French reason."""


class RunRecorder:
    """What a job reports while it runs: counters with French labels and free French lines."""

    def __init__(self, job_run):
        self.job_run = job_run
        self.counts = {}
        self.notes = []

    @property
    def now(self):
        return self.job_run.now

    def add(self, label, n=1):
        """Add ``n`` to the counter named ``label`` (a French phrase: « rappels envoyés »)."""
        self.counts[label] = self.counts.get(label, 0) + n

    def note(self, text):
        self.notes.append(str(text))

    def summary(self):
        lines = [f"{label} : {n}" for label, n in self.counts.items()]
        lines += self.notes
        return "\n".join(lines) if lines else "Rien à faire."


def now_parse(now):
    """``None`` → current time; ISO string (what a JSON broker carries) or datetime → aware datetime."""
    if now is None:
        return timezone.now()
    if isinstance(now, str):
        parsed = parse_datetime(now)
        if parsed is None:
            raise ValueError(f"Date de référence illisible : {now!r}")
        now = parsed
    if not isinstance(now, datetime):
        raise TypeError(f"now doit être une date et heure, pas {type(now).__name__}")
    if timezone.is_naive(now):
        now = timezone.make_aware(now)
    return now


def period_key(once_per, now):
    if once_per is None:
        return ""
    if callable(once_per):
        return str(once_per(now))[:40]
    local = timezone.localtime(now)
    formats = {"day": "%Y-%m-%d", "week": "%G-S%V", "month": "%Y-%m", "year": "%Y"}
    if once_per not in formats:
        raise ValueError(f"once_per inconnu : {once_per!r}")
    return local.strftime(formats[once_per])


@contextmanager
def job_run(name, label, *, now=None, once_per=None, keep_idle=True):
    """Record one run of job ``name``. Yields a ``RunRecorder`` or ``None`` when the run is skipped.

    ``keep_idle=False`` deletes the record of a successful run that counted nothing (for frequent jobs
    such as the outbox sweep, so the log shows only runs that did something).
    """
    now = now_parse(now)
    key = period_key(once_per, now)
    started = timezone.now()
    if key and JobRun.objects.filter(name=name, period_key=key, status=JobRun.Status.SUCCESS).exists():
        JobRun.objects.create(
            name=name, label=label, now=now, period_key=key, started_at=started, finished_at=started,
            status=JobRun.Status.SKIPPED, summary=f"Déjà faite pour la période {key}.",
        )
        yield None
        return
    lock = f"portal-job-lock:{name}"
    if not cache.add(lock, started.isoformat(), timeout=LOCK_TIMEOUT):
        JobRun.objects.create(
            name=name, label=label, now=now, period_key=key, started_at=started, finished_at=started,
            status=JobRun.Status.SKIPPED, summary="Une exécution précédente est encore en cours.",
        )
        yield None
        return
    record = JobRun.objects.create(name=name, label=label, now=now, period_key=key, started_at=started)
    recorder = RunRecorder(record)
    try:
        yield recorder
    except JobSkipped as exc:
        record.status = JobRun.Status.SKIPPED
        record.summary = str(exc) or "Ignorée."
    except Exception as exc:
        record.status = JobRun.Status.FAILED
        record.summary = f"Échec : {exc}"[:1000] + ("\n" + recorder.summary() if recorder.counts or recorder.notes else "")
        record.error = traceback.format_exc()[-5000:]
        record.counts = recorder.counts
        record.finished_at = timezone.now()
        record.save(update_fields=["status", "summary", "error", "counts", "finished_at"])
        logger.exception("Job %s failed", name)
        raise
    else:
        record.status = JobRun.Status.SUCCESS
        record.summary = recorder.summary()
    finally:
        cache.delete(lock)
    record.counts = recorder.counts
    record.finished_at = timezone.now()
    if record.status == JobRun.Status.SUCCESS and not keep_idle and not recorder.counts and not recorder.notes:
        record.delete()
        return
    record.save(update_fields=["status", "summary", "counts", "finished_at"])
    logger.info("Job %s: %s", name, record.summary.replace("\n", "; "))


def periodic_job(label, *, name=None, once_per=None, atomic=False, keep_idle=True):
    """Decorator turning ``func(*, now, run, **kwargs)`` into a logged job ``job(now=None, **kwargs)``.

    Put ``@shared_task`` above it. ``name`` defaults to ``<module>.<function>`` (the Celery task name).
    """

    def decorate(func):
        job_name = name or f"{func.__module__}.{func.__name__}"
        params = inspect.signature(func).parameters
        if "run" not in params or "now" not in params:
            raise TypeError(f"{job_name} doit accepter les arguments nommés now et run")

        @functools.wraps(func)
        def job(now=None, **kwargs):
            with job_run(job_name, label, now=now, once_per=once_per, keep_idle=keep_idle) as run:
                if run is None:
                    return {"job_run": None, "status": JobRun.Status.SKIPPED.value, "summary": "", "counts": {}}
                if atomic:
                    with transaction.atomic():
                        func(now=run.now, run=run, **kwargs)
                else:
                    func(now=run.now, run=run, **kwargs)
            record = run.job_run
            return {
                "job_run": record.pk, "status": record.status, "summary": record.summary, "counts": record.counts,
            }

        # Celery reads the argument list without following __wrapped__; keep inspect consistent with it.
        del job.__wrapped__
        job.job_name = job_name
        job.job_label = label
        return job

    return decorate
