"""The Celery app. Every periodic schedule of the project is declared here, in one place."""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "outbox-sweep": {"task": "portal.tasks.outbox_sweep", "schedule": crontab(minute="*/5")},
    "housekeeping-daily": {"task": "portal.tasks.housekeeping_daily", "schedule": crontab(hour=3, minute=30)},
    "billing-invoices-monthly": {"task": "billing.tasks.invoices_issue_monthly", "schedule": crontab(day_of_month=1, hour=5, minute=0)},
    "billing-invoice-pdfs-orphans-sweep": {"task": "billing.tasks.invoice_pdfs_orphans_sweep", "schedule": crontab(day_of_week=0, hour=4, minute=0)},
    "billing-online-payments-reconcile": {"task": "billing.tasks.online_payments_reconcile", "schedule": crontab(minute="*/15")},
    "documents-renewal-reminders": {"task": "documents.tasks.renewal_reminders", "schedule": crontab(hour=9, minute=0)},
    "enrolment-deadline-reminders": {"task": "enrolment.tasks.deadline_reminders", "schedule": crontab(hour=10, minute=0)},
    "enrolment-prebook-upcoming": {"task": "enrolment.tasks.prebook_upcoming", "schedule": crontab(hour=2, minute=15)},
    "enrolment-waiting-list-expire": {"task": "enrolment.tasks.waiting_list_expire", "schedule": crontab(minute="*/10")},
    "enrolment-occupancy-audit": {"task": "enrolment.tasks.occupancy_audit", "schedule": crontab(hour=4, minute=45)},
    "families-counter-rows-audit": {"task": "families.tasks.counter_rows_audit", "schedule": crontab(hour=4, minute=50)},
    "earlychildhood-confirmation-reminders": {"task": "earlychildhood.tasks.confirmation_reminders", "schedule": crontab(hour=9, minute=30)},
    "earlychildhood-invoices-monthly": {"task": "earlychildhood.tasks.invoices_monthly", "schedule": crontab(day_of_month=1, hour=5, minute=30)},
    "earlychildhood-offers-expire": {"task": "earlychildhood.tasks.offers_expire", "schedule": crontab(hour=0, minute=20)},
}
