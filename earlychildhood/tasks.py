"""Thin Celery wrappers around the early-childhood services (schedules in portal/celery.py)."""
from celery import shared_task

from portal.jobs import periodic_job

from .services import commission, requests


@shared_task
@periodic_job("Petite enfance : confirmation des préinscriptions")
def confirmation_reminders(*, now, run):
    asked, lapsed = requests.confirmation_reminders(now=now)
    run.add("confirmations demandées", asked)
    run.add("demandes caduques", lapsed)


@shared_task
@periodic_job("Petite enfance : propositions de place expirées")
def offers_expire(*, now, run):
    run.add("propositions expirées", commission.offers_expire(now=now))
