"""Reminders (relances) of overdue invoices: an e-mail through the outbox, a letter PDF, a record and an audit entry."""
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.errors import BillingError
from portal.mail import email_queue
from portal.models import AuditLog

from ..models import Invoice, InvoiceReminder
from ..pricing import euros


def overdue_invoices(*, today):
    """Invoices still due whose due date has passed (what « En retard » lists)."""
    return Invoice.objects.filter(
        status=Invoice.Status.DUE, due_on__lt=today, total__gt=F("paid_amount") + F("credited_amount")
    )


def _recipient(invoice):
    """The invoice's payer's e-mail, else the first guardian of the family with one."""
    if invoice.payer is not None and invoice.payer.email:
        return invoice.payer, invoice.payer.email
    guardian = invoice.family.guardians.exclude(email="").order_by("rank").first()
    return guardian, (guardian.email if guardian else "")


def invoice_remind(*, invoice, by=None, now=None):
    """Remind the family of one unpaid, overdue invoice: e-mail (when it has an address), a reminder row (its
    rank counts the previous ones) and an audit entry. The letter PDF is rendered from the reminder
    (``billing.pdf.reminder_letters_pdf``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update(of=("self",)).select_related("family", "payer", "regie").get(pk=invoice.pk)
        if invoice.status != Invoice.Status.DUE or invoice.remaining <= 0:
            raise BillingError(f"La facture {invoice.number} est réglée : rien à relancer.")
        if invoice.due_on >= today:
            raise BillingError(f"La facture {invoice.number} n'est pas encore échue (échéance le {invoice.due_on:%d/%m/%Y}).")
        guardian, email = _recipient(invoice)
        rank = invoice.reminders.count() + 1
        reminder = InvoiceReminder.objects.create(
            invoice=invoice, family=invoice.family, sent_at=now, remaining=invoice.remaining, rank=rank,
            emailed_to=email, sent_by=by,
        )
        if email:
            email_queue(to=email, template="invoice_reminder", related=invoice, context={
                "invoice": invoice, "guardian": guardian, "regie": invoice.regie, "reminder": reminder,
            })
        AuditLog.objects.create(
            actor=by, family=invoice.family, action="billing.reminder",
            summary=f"Relance n° {rank} de la facture {invoice.number} ({euros(invoice.remaining)} € restant dus)",
            new_values={"invoice": invoice.number, "remaining": str(invoice.remaining), "emailed_to": email},
        )
    return reminder
