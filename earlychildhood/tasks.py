"""Thin Celery wrappers around the early-childhood services (schedules in portal/celery.py)."""
from celery import shared_task

from portal.jobs import periodic_job

from .services import commission, contracts, requests


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


@shared_task
@periodic_job("Petite enfance : facturation du mois précédent", once_per="month")
def invoices_monthly(*, now, run):
    """The previous month of every crèche contract not invoiced yet (a month is never invoiced twice)."""
    created, skipped = contracts.all_nurseries_month_invoice(now=now)
    run.add("factures émises", created)
    run.add("contrats déjà facturés", skipped)
