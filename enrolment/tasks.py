"""Thin Celery wrappers around the enrolment services (schedules live in portal/celery.py)."""
from celery import shared_task

from portal.jobs import periodic_job


@shared_task
@periodic_job("Rappels de date limite de réservation")
def deadline_reminders(*, now, run):
    """A few days before a monthly deadline or a window's close: remind families who booked nothing."""
    from .services.reminders import deadline_reminders_send

    run.add("rappels envoyés", deadline_reminders_send(now=now))


@shared_task
@periodic_job("Pré-réservation des semaines à venir (inscriptions régulières)")
def prebook_upcoming(*, now, run):
    from .services.reminders import prebook_upcoming as prebook

    run.add("réservations créées", prebook(now=now))


@shared_task
@periodic_job("Liste d'attente : propositions expirées", keep_idle=False)
def waiting_list_expire(*, now, run):
    from .services.waiting_list import waiting_list_expire_offers

    run.add("propositions expirées", waiting_list_expire_offers(now=now))
