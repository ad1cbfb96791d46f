"""Thin Celery wrappers around the families' services (schedules live in portal/celery.py)."""
from celery import shared_task

from portal.jobs import periodic_job

from . import counters
from .models import Family


@shared_task
@periodic_job("Contrôle des compteurs des familles (messages non lus, demandes en attente, solde)")
def counter_rows_audit(*, now, run):
    """Compare every family's counter rows (families/counters.py) with their rules; list each difference in
    the job log and correct it (the rules are the record, the rows copies kept for display)."""
    run.add("familles vérifiées", Family.objects.count())
    run.add("écarts corrigés", counters.audit(report=run.note))
