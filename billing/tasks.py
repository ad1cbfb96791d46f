"""Thin Celery wrappers around the billing services (schedules live in portal/celery.py)."""
from celery import shared_task
from django.utils import timezone

from portal.jobs import periodic_job

from .services.invoice_pdfs import invoice_pdfs_orphans_delete
from .services.invoice_pdfs import invoice_pdfs_render as render
from .services.invoicing import invoices_issue_all, previous_month
from .services.payments import online_payments_reconcile as reconcile


@shared_task
@periodic_job("Facturation mensuelle (mois précédent, toutes les régies)", once_per="month")
def invoices_issue_monthly(*, now, run):
    """On the 1st of the month: issue last month's invoices for every active régie. Idempotent."""
    start, end = previous_month(timezone.localdate(now))
    run.note(f"Période du {start:%d/%m/%Y} au {end:%d/%m/%Y}")
    for regie, count in invoices_issue_all(period_start=start, period_end=end, now=now).items():
        run.add(f"factures émises ({regie.prefix})", count)


@shared_task
@periodic_job("Paiements en ligne : rapprochement et expiration", keep_idle=False)
def online_payments_reconcile(*, now, run):
    """Ask the provider about pending online payments; expire abandoned ones. Idempotent."""
    counts = reconcile(now=now)
    if counts["checked"]:
        run.add("paiements vérifiés auprès du fournisseur", counts["checked"])
    if counts["expired"]:
        run.add("paiements abandonnés expirés", counts["expired"])


@shared_task(acks_late=True, reject_on_worker_lost=True, soft_time_limit=600, time_limit=660)
def invoice_pdfs_render(invoice_ids):
    """Render and store the PDFs of these invoices if missing or stale (queued after issue, a payment
    or a credit note by ``invoice_pdfs_render_on_commit``). Idempotent: a redelivered task finds them
    up to date."""
    counts = render(ids=invoice_ids)
    return {key: counts[key] for key in ("rendered", "fresh", "failed", "missing")}


@shared_task
@periodic_job("PDF de factures : fichiers orphelins supprimés")
def invoice_pdfs_orphans_sweep(*, now, run):
    """Delete stored invoice PDFs no row names any more (a render rolled back or interrupted). Idempotent."""
    deleted = invoice_pdfs_orphans_delete(now=now)
    if deleted:
        run.add("fichiers PDF orphelins supprimés", deleted)
