"""Invoices whose lines are worked out by another app (the crèche's monthly PSU billing): the same
régies, gapless numbering, immutable lines, PDF and « invoice issued » e-mail as booking invoices."""
import datetime

from django.db import transaction
from django.utils import timezone

from families import counters
from families.models import Guardian
from portal.errors import BillingError
from portal.mail import email_queue

from ..models import FamilyPayer, Invoice, InvoiceLine
from ..pricing import ZERO, money
from .invoice_pdfs import invoice_pdfs_render_on_commit
from .invoicing import invoice_number_format, number_allocate, payer_address, payer_for

LINE_KEYS = ("child", "child_name", "activity_name", "unit_name", "tariff_label", "date", "state_label",
             "quantity", "unit_price", "amount")


def invoice_issue_lines(*, regie, family, period_start, period_end, lines, by=None, now=None):
    """Issue one invoice of ``lines`` (dicts with ``LINE_KEYS``; amounts may be negative, e.g. a
    deduction, as long as the total is not). Must run inside the caller's transaction, which records
    what the invoice settles (so both commit or neither)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("invoice_issue_lines must run inside transaction.atomic()")
    if not lines:
        raise BillingError("Aucune ligne à facturer.")
    total = money(sum((line["amount"] for line in lines), ZERO))
    if total < 0:
        raise BillingError("Le total d'une facture ne peut pas être négatif.")
    issued_on = timezone.localdate(now or timezone.now())
    year = issued_on.year
    number = number_allocate(regie=regie, year=year)
    chosen = FamilyPayer.objects.filter(family=family).select_related("guardian").first()
    payer = payer_for(family, list(Guardian.objects.filter(family=family)), chosen.guardian if chosen else None)
    invoice = Invoice.objects.create(
        regie=regie, family=family, payer=payer, year=year, sequence_number=number,
        number=invoice_number_format(regie=regie, year=year, number=number), issued_on=issued_on,
        due_on=issued_on + datetime.timedelta(days=regie.due_days), period_start=period_start,
        period_end=period_end, total=total, status=Invoice.Status.DUE if total > 0 else Invoice.Status.PAID,
        family_name=family.name, family_number=family.number,
        payer_name=payer.full_name if payer else family.name, payer_address=payer_address(family, payer),
        created_by=by,
    )
    InvoiceLine.objects.bulk_create([
        InvoiceLine(invoice=invoice, **{key: line.get(key, "") if key in ("tariff_label", "state_label") else line[key]
                                        for key in LINE_KEYS})
        for line in lines
    ])
    if payer is not None and payer.email:
        email_queue(to=payer.email, template="invoice_issued",
                    context={"invoice": invoice, "guardian": payer, "regie": regie}, related=invoice)
    invoice_pdfs_render_on_commit([invoice.pk])
    counters.recount(["balance"], [family.pk])  # the family's counter row
    return invoice
