"""Issuing invoices from billable bookings, numbering, credit notes."""
import datetime
import logging
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from enrolment.models import Booking, Unit
from families import counters
from families.models import Family, Guardian
from families.selectors import quotient_history_prefetch
from portal.errors import BillingError
from portal.mail import email_queue_many
from portal.models import AuditLog

from ..models import CreditNote, FamilyPayer, Invoice, InvoiceLine, NumberSequence, Regie
from ..pricing import ZERO, euros, line_amount, money, rule_for_day, rule_price, tariff_rules
from .invoice_pdfs import invoice_pdfs_render_on_commit

logger = logging.getLogger(__name__)


def number_allocate(*, regie, year, kind=NumberSequence.Kind.INVOICE):
    """The next number of ``regie``'s sequence for ``year``, under a row lock held until commit.

    Must run inside the transaction that creates the numbered document: if it rolls back, the
    number is given back, so numbers stay gapless.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("number_allocate must run inside transaction.atomic()")
    NumberSequence.objects.bulk_create(
        [NumberSequence(regie=regie, year=year, kind=kind, last_number=0)], ignore_conflicts=True
    )
    sequence = NumberSequence.objects.select_for_update().get(regie=regie, year=year, kind=kind)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def invoice_number_format(*, regie, year, number):
    return f"{regie.prefix}-{year}-{number:05d}"


def credit_note_number_format(*, regie, year, number):
    return f"AV-{regie.prefix}-{year}-{number:05d}"


def billable_bookings(*, units, period_start, period_end, family_ids=None):
    """Bookings of ``units`` (a régie's billable units, ``regie_billable_units``) in the period, billable,
    not billed yet: the one definition, for issuing and for the benchmark."""
    qs = Booking.objects.filter(
        date__gte=period_start, date__lte=period_end, state__in=Booking.BILLABLE_STATES,
        unit_id__in=list(units), invoice_line__isnull=True,
    ).exclude(walk_in=True, unit__activity__walk_in_billed=False)  # a child come unbooked: flagged, not billed
    if family_ids is not None:
        qs = qs.filter(child__family_id__in=family_ids)
    return qs


def regie_billable_units(regie):
    """{unit id: (unit name, activity name)} of the billable units of ``regie``'s structures (1 query).

    Issuing filters bookings on these ids instead of joining unit → activity → type → structure →
    régie: on a city the planner misjudges that join chain next to the « not billed yet » anti-join
    and reads the month in seconds instead of a fraction of one.
    """
    return {
        pk: (name, activity_name)
        for pk, name, activity_name in Unit.objects.filter(
            billable=True, activity__activity_type__structure__regies=regie
        ).values_list("pk", "name", "activity__name")
    }


def payer_for(family, guardians, chosen):
    if chosen is not None and chosen.family_id == family.pk:
        return chosen
    ranked = sorted(guardians, key=lambda g: g.rank)
    return ranked[0] if ranked else None


def payer_address(family, payer):
    """The address an invoice is sent to: the payer's own when they live apart from the family (separated
    parents, ``Guardian.postal_address_lines``), else the family's. ``payer`` is a guardian of ``family``."""
    if payer is None:
        return "\n".join(family.address_lines)
    payer.family = family  # the family is at hand: no query
    return "\n".join(payer.postal_address_lines)


def invoice_issue_period(*, regie, period_start, period_end, by=None, now=None, issued_on=None, chunk=500):
    """Issue one invoice per family for the billable, not yet billed bookings of the period.

    Idempotent: bookings already on an invoice are skipped (and ``InvoiceLine.booking`` is unique),
    so a re-run creates nothing new. Families are invoiced by chunks of ``chunk``, each chunk in its
    own transaction numbered under the régie's sequence lock (taken once per chunk), with a fixed
    number of queries per chunk plus the e-mails. The invoices' PDFs are rendered and stored by Celery
    tasks queued once everything has committed (``invoice_pdfs_render_on_commit``). Returns the list
    of invoices created.
    """
    if period_end < period_start:
        raise BillingError("La fin de la période précède son début.")
    now = now or timezone.now()
    issued_on = issued_on or timezone.localdate(now)
    # Families with billable bookings in the period (those already billed included: each chunk
    # reads what is left to bill under the sequence lock, so a re-run finds nothing to issue).
    family_ids = sorted(
        Booking.objects.filter(
            date__gte=period_start, date__lte=period_end, state__in=Booking.BILLABLE_STATES,
            unit_id__in=list(regie_billable_units(regie)),
        )
        .order_by()
        .values_list("child__family_id", flat=True)
        .distinct()
    )
    created = []
    try:
        for i in range(0, len(family_ids), chunk):
            created += _invoice_issue_families(
                regie=regie, family_ids=family_ids[i : i + chunk], period_start=period_start, period_end=period_end,
                issued_on=issued_on, by=by,
            )
    finally:
        # The chunks have committed (unless the caller holds a transaction), their e-mails queued at each
        # commit: the PDFs are queued after all of them (rendered in the background, nothing here), also
        # those of the chunks done before a failure.
        invoice_pdfs_render_on_commit([invoice.pk for invoice in created])
    logger.info("Régie %s, %s → %s: %d invoice(s) issued", regie.prefix, period_start, period_end, len(created))
    return created


def _invoice_issue_family(*, regie, family_id, period_start, period_end, issued_on, by):
    invoices = _invoice_issue_families(regie=regie, family_ids=[family_id], period_start=period_start,
                                       period_end=period_end, issued_on=issued_on, by=by)
    return invoices[0] if invoices else None


# InvoiceLine columns written at issue, in the order of the rows built by ``_invoice_issue_families``.
LINE_FIELDS = ("invoice_id", "booking_id", "child_id", "enrolment_id", "unit_id", "child_name", "activity_name",
               "unit_name", "tariff_label", "date", "state_label", "quantity", "unit_price", "amount")


def _invoice_issue_families(*, regie, family_ids, period_start, period_end, issued_on, by):
    with transaction.atomic():
        year = issued_on.year
        # Take the sequence lock first: concurrent runs for this régie queue here, and the
        # bookings read below are those left unbilled by whoever committed before us.
        NumberSequence.objects.bulk_create(
            [NumberSequence(regie=regie, year=year, kind=NumberSequence.Kind.INVOICE, last_number=0)],
            ignore_conflicts=True,
        )
        sequence = NumberSequence.objects.select_for_update().get(
            regie=regie, year=year, kind=NumberSequence.Kind.INVOICE
        )
        units = regie_billable_units(regie)
        # Plain tuples (not model instances): a month of a city is ~300,000 bookings.
        bookings = list(
            billable_bookings(units=units, period_start=period_start, period_end=period_end, family_ids=family_ids)
            .select_for_update(of=("self",))
            .order_by()
            .values_list("child__family_id", "id", "child_id", "enrolment_id", "unit_id", "child__first_name",
                         "child__last_name", "date", "state")
        )
        if not bookings:
            return []
        per_family = defaultdict(list)
        for family_id, booking_id, child_id, enrolment_id, unit_id, first_name, last_name, day, state in bookings:
            unit_name, activity_name = units[unit_id]
            per_family[family_id].append((last_name, first_name, child_id, activity_name, unit_name, day, booking_id,
                                          enrolment_id, unit_id, state))
        for family_bookings in per_family.values():
            family_bookings.sort()  # child, activity, unit, day: the order the lines are written in
        # the quotient in force on each booked day: the validated history of every family, one query
        families = Family.objects.prefetch_related(quotient_history_prefetch()).in_bulk(list(per_family))
        guardians = defaultdict(list)
        for guardian in Guardian.objects.filter(family_id__in=per_family):
            guardians[guardian.family_id].append(guardian)
        chosen = {
            p.family_id: p.guardian
            for p in FamilyPayer.objects.filter(family_id__in=per_family).select_related("guardian")
        }
        rules = tariff_rules(unit_ids={b[4] for b in bookings}, start=period_start, end=period_end)
        state_labels = {value: str(label) for value, label in Booking.State.choices}
        due_on = issued_on + datetime.timedelta(days=regie.due_days)
        invoices, lines_of, prices = [], [], {}
        for family_id in sorted(per_family):
            family = families[family_id]
            payer = payer_for(family, guardians[family_id], chosen.get(family_id))
            lines, total = [], ZERO
            for last_name, first_name, child_id, activity_name, unit_name, day, booking_id, enrolment_id, unit_id, \
                    state in per_family[family_id]:
                rule = rule_for_day(rules.get(unit_id, ()), day)
                key = (id(rule), family.quotient_on(day))  # the rules live as long as this chunk
                priced = prices.get(key)
                if priced is None:
                    price = rule_price(rule, key[1])
                    priced = prices[key] = (price, line_amount(1, price))
                price, amount = priced
                total += amount
                # child_name as Child.__str__ prints it
                lines.append([None, booking_id, child_id, enrolment_id, unit_id, f"{first_name} {last_name.upper()}",
                              activity_name, unit_name, rule.label if rule else "", day,
                              state_labels.get(state, state), 1, price, amount])
            total = money(total)
            sequence.last_number += 1
            number = sequence.last_number
            invoices.append(Invoice(
                regie=regie, family=family, payer=payer, year=year, sequence_number=number,
                number=invoice_number_format(regie=regie, year=year, number=number),
                issued_on=issued_on, due_on=due_on,
                period_start=period_start, period_end=period_end, total=total,
                status=Invoice.Status.DUE if total > 0 else Invoice.Status.PAID,
                family_name=family.name, family_number=family.number,
                payer_name=payer.full_name if payer else family.name,
                payer_address=payer_address(family, payer), created_by=by,
            ))
            lines_of.append(lines)
        sequence.save(update_fields=["last_number"])
        Invoice.objects.bulk_create(invoices, batch_size=2000)
        rows = []
        for invoice, lines in zip(invoices, lines_of):
            for line in lines:
                line[0] = invoice.pk
            rows += lines
        _lines_insert(rows)
        email_queue_many(template="invoice_issued", messages=(
            (invoice.payer.email, {"invoice": invoice, "guardian": invoice.payer, "regie": regie}, invoice)
            for invoice in invoices if invoice.payer is not None and invoice.payer.email
        ))
        counters.recount(["balance"], [invoice.family_id for invoice in invoices])  # the transaction's last lock
        return invoices


def _lines_insert(rows):
    """Insert invoice lines given as ``LINE_FIELDS`` rows (``bulk_create``, on every database)."""
    InvoiceLine.objects.bulk_create([InvoiceLine(**dict(zip(LINE_FIELDS, row))) for row in rows], batch_size=2000)


def previous_month(day):
    first = day.replace(day=1)
    end = first - datetime.timedelta(days=1)
    return end.replace(day=1), end


def invoices_issue_all(*, period_start, period_end, by=None, now=None):
    """Issue the period for every active régie; {régie: count}."""
    counts = {}
    for regie in Regie.objects.filter(is_active=True).order_by("pk"):
        counts[regie] = len(invoice_issue_period(regie=regie, period_start=period_start, period_end=period_end, by=by, now=now))
    return counts


def credit_note_issue(*, invoice, amount, reason, by=None, now=None, line=None):
    """Issue a credit note (avoir) on an issued invoice; the invoice itself never changes.

    With ``line``, the credit note corrects that one line of the invoice: it cannot exceed what the line
    billed less the credit notes already issued on it."""
    amount = money(Decimal(amount))
    reason = (reason or "").strip()
    if amount <= 0:
        raise BillingError("Le montant de l'avoir doit être positif.")
    if not reason:
        raise BillingError("Indiquez le motif de l'avoir.")
    now = now or timezone.now()
    today = timezone.localdate(now)
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        creditable = invoice.total - invoice.credited_amount - invoice.paid_amount
        if amount > creditable:
            raise BillingError(
                f"L'avoir ne peut pas dépasser le reste à payer de la facture ({euros(creditable)} €)."
            )
        if line is not None:
            if line.invoice_id != invoice.pk:
                raise BillingError("Cette ligne n'appartient pas à la facture.")
            already = line.credit_notes.aggregate(s=Sum("amount"))["s"] or ZERO
            if amount > line.amount - already:
                raise BillingError(
                    f"L'avoir ne peut pas dépasser le montant restant de la ligne ({euros(line.amount - already)} €)."
                )
            reason = f"{reason} – ligne du {line.date:%d/%m/%Y}, {line.child_name}, {line.unit_name}"
        number = number_allocate(regie=invoice.regie, year=today.year, kind=NumberSequence.Kind.CREDIT_NOTE)
        note = CreditNote.objects.create(
            invoice=invoice, regie=invoice.regie, family=invoice.family,
            number=credit_note_number_format(regie=invoice.regie, year=today.year, number=number),
            issued_on=today, amount=amount, reason=reason[:300], created_by=by, line=line,
        )
        old = {"credited_amount": str(invoice.credited_amount), "status": invoice.status}
        invoice.credited_amount += amount
        invoice_status_refresh(invoice)
        invoice.save(update_fields=["credited_amount", "status"])
        AuditLog.objects.create(
            actor=by, family=invoice.family, action="billing.credit_note",
            summary=f"Avoir {note.number} de {euros(amount)} € sur la facture {invoice.number}",
            old_values=old, new_values={"credited_amount": str(invoice.credited_amount), "status": invoice.status, "reason": reason},
        )
        invoice_pdfs_render_on_commit([invoice.pk])  # the PDF lists the credit note: render it again
        counters.recount(["balance"], [invoice.family_id])  # the family's counter row, the transaction's last lock
    return note


def invoice_status_refresh(invoice):
    """Set ``invoice.status`` from its settlement amounts (caller saves)."""
    if invoice.credited_amount >= invoice.total and invoice.total > 0 and invoice.paid_amount == 0:
        invoice.status = Invoice.Status.CANCELLED
    elif invoice.total - invoice.credited_amount - invoice.paid_amount <= 0:
        invoice.status = Invoice.Status.PAID
    else:
        invoice.status = Invoice.Status.DUE
