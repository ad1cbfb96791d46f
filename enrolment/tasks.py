"""Thin Celery wrappers around the enrolment services (schedules live in portal/celery.py)."""
import datetime

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from portal.jobs import now_parse, periodic_job

from . import rules
from .services.occupancy import occupancy_audit as occupancy_audit_report
from .services.reminders import deadline_reminders_send
from .services.reminders import prebook_upcoming as prebook
from .services.waiting_list import waiting_list_expire_offers, waiting_list_place_freed, waiting_list_serve_waiting


@shared_task
@periodic_job("Rappels de date limite de réservation")
def deadline_reminders(*, now, run):
    """A few days before a monthly deadline or a window's close: remind families who booked nothing."""
    run.add("rappels envoyés", deadline_reminders_send(now=now))


@shared_task
@periodic_job("Pré-réservation des semaines à venir (inscriptions régulières)")
def prebook_upcoming(*, now, run):
    run.add("réservations créées", prebook(now=now))


@shared_task
@periodic_job("Liste d'attente : propositions expirées", keep_idle=False)
def waiting_list_expire(*, now, run):
    run.add("propositions expirées", waiting_list_expire_offers(now=now))
    # A place freed while the broker was down never had its serving task queued: served here.
    run.add("places libres proposées", waiting_list_serve_waiting(now=now))


@shared_task
@periodic_job("Contrôle des compteurs de places (jours à venir)")
def occupancy_audit(*, now, run):
    """Compare every place counter from today on with the bookings holding a place, and list each
    difference in the job log. Never corrects a counter: staff look into it."""
    compared, differences = occupancy_audit_report(since=timezone.localdate(now, rules.PARIS), report=run.note)
    run.add("compteurs vérifiés", compared)
    run.add("écarts", differences)


@shared_task
def waiting_list_serve_days(days, now=None):
    """Places were freed on ``days`` = [[unit_id, "YYYY-MM-DD"], …] by one commit: serve each (unit, day) as
    waiting_list_serve does, each in its own transaction (one task per commit rather than per day)."""
    return [waiting_list_serve(unit_id, day, now) for unit_id, day in days]


@shared_task
def waiting_list_serve(unit_id, day, now=None):
    """A place of (unit, day) was freed: give it to the first child waiting (queued after the freeing commit)."""
    with transaction.atomic():
        entry = waiting_list_place_freed(unit_id=unit_id, date=datetime.date.fromisoformat(day), now=now_parse(now))
    return entry.pk if entry else None
