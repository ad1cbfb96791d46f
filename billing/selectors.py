"""Reads of the billing side for parents, each in a bounded number of queries."""
import datetime
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    Count, DecimalField, Exists, ExpressionWrapper, F, Func, Max, Min, OuterRef, Subquery, Sum, Value, Window,
)
from django.db.models.functions import Coalesce

from families.models import Child, Family
from portal.models import Organisation

from .models import (
    CreditNote, DirectDebitItem, DirectDebitMandate, Invoice, InvoiceLine, OnlineTransaction, OnlineTransactionInvoice, Payment,
    PaymentAllocation,
)
from .pricing import ZERO, euros, money
from .rules import online_payment_refusal

SCHOOL_YEAR_START_MONTH = 9


def _guardian_of(user):
    return getattr(user, "guardian", None) if user is not None else None


def payer_only(organisation=None):
    org = organisation or Organisation.current()
    return org.invoice_visibility == Organisation.InvoiceVisibility.PAYER


def visible_invoices(*, family, user=None, organisation=None):
    """The family's invoices this user may see (all of them, or only those addressed to them)."""
    qs = Invoice.objects.for_family(family)
    guardian = _guardian_of(user)
    if guardian is not None and payer_only(organisation):
        qs = qs.filter(payer=guardian)
    return qs


def visible_payments(*, family, user=None, organisation=None):
    qs = Payment.objects.for_family(family)
    guardian = _guardian_of(user)
    if guardian is not None and payer_only(organisation):
        qs = qs.filter(payer=guardian)
    return qs


def visible_credit_notes(*, family, user=None, organisation=None):
    qs = CreditNote.objects.for_family(family)
    guardian = _guardian_of(user)
    if guardian is not None and payer_only(organisation):
        qs = qs.filter(invoice__payer=guardian)
    return qs


def family_balance(*, family, user=None, organisation=None):
    """What the family owes (positive) or has in credit (negative): invoices − credit notes − payments.

    One query, whatever the number of invoices (see ``_balance``).
    """
    return _balance(family=family, user=user, organisation=organisation)


_AMOUNT = DecimalField(max_digits=12, decimal_places=2)


class _Total(Func):
    """SUM(expression) over every row of a subquery (one row, no GROUP BY)."""
    function = "SUM"
    output_field = _AMOUNT


def _total(queryset, field):
    """The total of ``field`` over ``queryset`` as a scalar subquery (0 when it has no rows)."""
    return Coalesce(Subquery(queryset.order_by().values(amount_total=_Total(field))), Value(ZERO), output_field=_AMOUNT)


def _balance_terms(*, family, user=None, organisation=None, before=None):
    """Invoiced, credited and paid amounts this user may see (``visible_*``: the payer rule lives there),
    dated before ``before`` if given, as three scalar subqueries to put in any statement."""
    org = organisation or (Organisation.current() if _guardian_of(user) is not None else None)
    invoices = visible_invoices(family=family, user=user, organisation=org)
    notes = visible_credit_notes(family=family, user=user, organisation=org)
    payments = visible_payments(family=family, user=user, organisation=org)
    if before is not None:
        invoices = invoices.filter(issued_on__lt=before)
        notes = notes.filter(issued_on__lt=before)
        payments = payments.filter(received_on__lt=before)
    return {"invoiced": _total(invoices, "total"), "credited": _total(notes, "amount"), "paid": _total(payments, "amount")}


def balance_expression(family):
    """The balance of the whole account of ``family`` (an ``OuterRef`` to the family's primary key), all
    payers: what the family's counter row ``Family.balance`` holds (registered in billing/dashboard.py, kept by
    ``families.counters.recount`` after each invoice, credit note and payment)."""
    terms = _balance_terms(family=family)
    return ExpressionWrapper(terms["invoiced"] - terms["credited"] - terms["paid"], output_field=_AMOUNT)


def sees_whole_account(*, user=None, organisation=None):
    """Whether this user sees every invoice of the family (no payer rule applies to them)."""
    return _guardian_of(user) is None or not payer_only(organisation)


def _balance(*, family, user=None, organisation=None, before=None):
    """Invoices − credit notes − payments (``_balance_terms``). One query: the three totals are subqueries
    of one statement."""
    terms = _balance_terms(family=family, user=user, organisation=organisation, before=before)
    row = Family.objects.filter(pk=family.pk).values(**terms).get()
    return money(row["invoiced"] - row["credited"] - row["paid"])


def _unpaid(invoices):
    return invoices.filter(status=Invoice.Status.DUE, total__gt=F("paid_amount") + F("credited_amount"))


HOME_UNPAID = 5  # unpaid invoices listed on the home page


def home_summary(*, family, user=None, organisation=None):
    """Home block: balance, unpaid invoices (first ``HOME_UNPAID``) and the number and total of all unpaid
    ones. One query when a family has no more unpaid invoices than are listed (one row more is read to know):
    the count and total are those of the list; a second query counts them otherwise. The balance is the
    family's counter row (``family`` comes with the request: no query) when the user sees the whole account;
    under the payer rule it is computed: its three totals ride on the list's rows as subqueries PostgreSQL
    evaluates once (they do not depend on the row), or take a query of their own when no invoice is unpaid."""
    org = organisation or Organisation.current()
    whole = sees_whole_account(user=user, organisation=org)
    terms = {} if whole else _balance_terms(family=family, user=user, organisation=org)
    invoices = _unpaid(visible_invoices(family=family, user=user, organisation=org))
    unpaid = list(
        invoices.only("number", "issued_on", "due_on", "total", "paid_amount", "credited_amount", "status")
        .annotate(**terms).order_by("due_on", "pk")[:HOME_UNPAID + 1]
    )
    if len(unpaid) <= HOME_UNPAID:
        count, total = len(unpaid), money(sum((invoice.remaining for invoice in unpaid), ZERO))
    else:
        unpaid = unpaid[:HOME_UNPAID]
        totals = invoices.aggregate(count=Count("pk"), total=Sum(F("total") - F("paid_amount") - F("credited_amount")))
        count, total = totals["count"], money(totals["total"])
    if whole:
        balance = money(family.balance)
    elif unpaid:
        first = unpaid[0]
        balance = money(first.invoiced - first.credited - first.paid)
    else:
        balance = _balance(family=family, user=user, organisation=org)
    return {"balance": balance, "unpaid": unpaid, "unpaid_count": count, "unpaid_total": total}


INVOICES_PER_PAGE = 25
_LIST_FIELDS = ("family", "number", "issued_on", "due_on", "payer_name", "total", "paid_amount", "credited_amount", "status",
                "regie__name", "regie__payment_provider", "regie__payfip_mode", "regie__sepa_creditor_id")


def online_payability_terms(family_id):
    """What decides whether an invoice can be paid online besides its own fields, as annotations of an
    invoice query: ``payment_in_progress`` (an online payment of it is started or pending),
    ``in_debit_file`` (it is in a direct-debit file) and ``mandate_active`` (the family's mandate is
    active: the same for every row, an uncorrelated subquery the database evaluates once)."""
    return {
        "payment_in_progress": Exists(OnlineTransactionInvoice.objects.filter(invoice=OuterRef("pk"), active=True)),
        "in_debit_file": Exists(DirectDebitItem.objects.filter(invoice=OuterRef("pk"))),
        "mandate_active": Exists(
            DirectDebitMandate.objects.filter(family_id=family_id, status=DirectDebitMandate.Status.ACTIVE)
        ),
    }


def invoice_online_refusal(invoice):
    """``rules.online_payment_refusal`` for an invoice read with ``online_payability_terms`` (and its régie)."""
    return online_payment_refusal(
        due=invoice.status == Invoice.Status.DUE, remaining=invoice.remaining, offered=online_payment_offered(invoice.regie),
        in_progress=invoice.payment_in_progress, direct_debit=invoice_under_direct_debit(invoice),
    )


def invoice_under_direct_debit(invoice):
    return invoice.in_debit_file or (invoice.mandate_active and invoice.regie.collects_direct_debit)


# More ticked invoices than this in one payment is refused (the form lists one page of 25; a forged
# request with thousands of ids must not turn into a giant query).
PAY_SELECTION_MAX = 100


def pay_selection(*, family, ids, user=None, organisation=None):
    """The invoices a parent ticked, as this parent may see them (the payer rule), oldest due first, each
    with ``payment_in_progress``, ``in_debit_file`` and ``mandate_active``. One query. None when an id is
    not one of those invoices (another family's, or hidden by the payer rule): the view answers 404."""
    ids = set(ids)
    if not ids:
        return []
    invoices = list(
        visible_invoices(family=family, user=user, organisation=organisation).filter(pk__in=ids)
        .select_related("regie").annotate(**online_payability_terms(family.pk)).order_by("due_on", "pk")
    )
    return invoices if len(invoices) == len(ids) else None


def invoices_page(*, family, user=None, page=1, per_page=INVOICES_PER_PAGE, organisation=None):
    """One page of invoices (newest first) with régie, whether each can be paid online (``payable``, from
    ``online_payability_terms``), and whether one of the family's online payments awaits the provider's
    answer (``has_pending``). 2 queries for the first page (the number of invoices rides on its rows as a
    window aggregate), 3 for the others."""
    listed = (
        visible_invoices(family=family, user=user, organisation=organisation)
        .select_related("regie").only(*_LIST_FIELDS).annotate(**online_payability_terms(family.pk)).order_by("-issued_on", "-pk")
    )
    invoices = None
    if page <= 1:
        invoices = list(listed.annotate(invoice_count=Window(Count("pk")))[:per_page])
        count = invoices[0].invoice_count if invoices else 0
    else:
        count = listed.count()
    pages = max(1, (count + per_page - 1) // per_page)
    page = min(max(1, page), pages)
    if invoices is None:
        invoices = list(listed[(page - 1) * per_page : page * per_page])
    for invoice in invoices:
        invoice.payable = not invoice_online_refusal(invoice)
    has_pending = OnlineTransaction.objects.for_family(family).filter(state=OnlineTransaction.State.PENDING).exists()
    return {"invoices": invoices, "count": count, "page": page, "pages": pages, "has_pending": has_pending}


def payments_page(*, family, user=None, page=1, per_page=25, organisation=None):
    """One page of payments (newest first) with their régie and, as ``allocation_list``, the
    (invoice number, amount) pairs they settle. 3 queries."""
    qs = visible_payments(family=family, user=user, organisation=organisation).select_related("regie").order_by("-received_on", "-pk")
    count = qs.count()
    pages = max(1, (count + per_page - 1) // per_page)
    page = min(max(1, page), pages)
    payments = list(
        qs.only("amount", "mode", "received_on", "payer_name", "regie__name")[(page - 1) * per_page : page * per_page]
    )
    allocations = defaultdict(list)
    for payment_id, number, amount in (
        PaymentAllocation.objects.filter(payment_id__in=[p.pk for p in payments]).order_by("pk")
        .values_list("payment_id", "invoice__number", "amount")
    ):
        allocations[payment_id].append((number, amount))
    for payment in payments:
        payment.allocation_list = allocations[payment.pk]
    return {"payments": payments, "count": count, "page": page, "pages": pages}


def online_payment_offered(regie):
    if regie.payment_provider == "fake":
        return bool(settings.PAYMENT_FAKE_PROVIDER)
    return bool(regie.payment_provider)


def school_year_of(day):
    return day.year if day.month >= SCHOOL_YEAR_START_MONTH else day.year - 1


def school_year_bounds(start_year):
    return datetime.date(start_year, SCHOOL_YEAR_START_MONTH, 1), datetime.date(start_year + 1, SCHOOL_YEAR_START_MONTH, 1) - datetime.timedelta(days=1)


def account_statement(*, family, user=None, start_year, organisation=None):
    """Operations of one school year (debit: invoices; credit: payments and credit notes),
    previous balance and balance. Four queries, whatever the number of operations.

    Each operation carries its amounts already printed (``debit_display``, ``credit_display``) and,
    for an invoice, ``invoice_id`` (the link to its PDF)."""
    org = organisation or Organisation.current()
    start, end = school_year_bounds(start_year)
    invoices = visible_invoices(family=family, user=user, organisation=org)
    payments = visible_payments(family=family, user=user, organisation=org)
    notes = visible_credit_notes(family=family, user=user, organisation=org)
    previous = _balance(family=family, user=user, organisation=org, before=start)
    operations = []
    for pk, number, issued_on, period_start, period_end, regie, total in invoices.filter(
        issued_on__range=(start, end)
    ).values_list("pk", "number", "issued_on", "period_start", "period_end", "regie__name", "total"):
        operations.append({
            "number": number, "date": issued_on, "kind": "invoice", "invoice_id": pk,
            "description": f"Facture : {period_start:%d/%m/%Y} - {period_end:%d/%m/%Y}",
            "regie": regie, "debit": total, "credit": None,
        })
    for number, issued_on, invoice_number, reason, regie, amount in notes.filter(
        issued_on__range=(start, end)
    ).values_list("number", "issued_on", "invoice__number", "reason", "regie__name", "amount"):
        operations.append({
            "number": number, "date": issued_on, "kind": "credit_note",
            "description": f"Avoir sur la facture {invoice_number} : {reason}",
            "regie": regie, "debit": None, "credit": amount,
        })
    modes = dict(Payment.Mode.choices)
    for pk, received_on, mode, regie, amount in payments.filter(
        received_on__range=(start, end)
    ).values_list("pk", "received_on", "mode", "regie__name", "amount"):
        operations.append({
            "number": f"R-{pk}", "date": received_on, "kind": "payment",
            "description": f"Règlement : {modes.get(mode, mode)}", "regie": regie,
            "debit": None, "credit": amount,
        })
    operations.sort(key=lambda o: (o["date"], {"invoice": 0, "credit_note": 1, "payment": 2}[o["kind"]], o["number"]))
    for o in operations:
        o["date_display"] = f"{o['date']:%d/%m/%Y}"
        o["debit_display"] = f"{euros(o['debit'])} €" if o["debit"] is not None else ""
        o["credit_display"] = f"{euros(o['credit'])} €" if o["credit"] is not None else ""
    debit = sum((o["debit"] for o in operations if o["debit"] is not None), ZERO)
    credit = sum((o["credit"] for o in operations if o["credit"] is not None), ZERO)
    return {
        "start": start, "end": end, "start_year": start_year, "operations": operations,
        "previous_balance": money(previous),
        "previous_debit": money(previous) if previous > 0 else None,
        "previous_credit": money(-previous) if previous < 0 else None, "total_debit": money(debit), "total_credit": money(credit),
        "balance": money(previous + debit - credit),
    }


def statement_years(*, family, user=None, today, organisation=None):
    """School years offered in the statement selector: from the first invoice to the current one (1 query)."""
    first = visible_invoices(family=family, user=user, organisation=organisation).order_by("issued_on").values_list("issued_on", flat=True).first()
    current = school_year_of(today)
    first_year = school_year_of(first) if first else current
    return list(range(current, min(first_year, current) - 1, -1))


def billed_per_enrolment(*, family, user=None, organisation=None):
    """What was billed per child and activity (seed 004 « détail financier par inscription»). 1 query."""
    lines = (
        InvoiceLine.objects.filter(invoice__in=visible_invoices(family=family, user=user, organisation=organisation))
        .values("child_name", "activity_name", "unit_name", "tariff_label", "enrolment_id")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"), first=Min("date"), last=Max("date"))
        .order_by("child_name", "activity_name", "unit_name")
    )
    groups = {}
    for row in lines:
        key = (row["child_name"], row["activity_name"], row["enrolment_id"])
        group = groups.setdefault(key, {"child_name": row["child_name"], "activity_name": row["activity_name"], "units": [], "amount": ZERO})
        group["units"].append(row)
        group["amount"] += row["amount"]
    return list(groups.values())


CERTIFICATE_YEARS = 3  # tax statements offered: the last three years


def certificate_years(today):
    """The years whose tax statement (attestation de frais de garde) can be asked for, newest first."""
    return list(range(today.year - 1, today.year - 1 - CERTIFICATE_YEARS, -1))


def childcare_certificate(*, family, year):
    """Childcare costs paid in ``year`` for children under 6 on 1 January of ``year`` (tax statement).

    From payments actually received in the year, allocated to invoices of régies that give right to
    the statement; each allocation is shared between the invoice's children pro rata of their lines.
    Three queries.
    """
    allocations = list(
        PaymentAllocation.objects.for_family(family).filter(
            payment__received_on__year=year, invoice__regie__childcare_certificate=True
        ).values("invoice_id", "amount", "invoice__total")
    )
    per_invoice_child = defaultdict(dict)
    if allocations:
        for row in (
            InvoiceLine.objects.filter(invoice_id__in={a["invoice_id"] for a in allocations})
            .values("invoice_id", "child_id")
            .annotate(s=Sum("amount"))
        ):
            per_invoice_child[row["invoice_id"]][row["child_id"]] = row["s"]
    children = {
        c.pk: c for c in Child.objects.for_family(family) if c.age_on(datetime.date(year, 1, 1)) < 6
    }
    totals = defaultdict(lambda: ZERO)
    for alloc in allocations:
        shares = per_invoice_child.get(alloc["invoice_id"], {})
        invoice_total = sum(shares.values(), ZERO)
        if invoice_total <= 0:
            continue
        for child_id, child_amount in shares.items():
            if child_id in children:
                totals[child_id] += alloc["amount"] * child_amount / invoice_total
    rows = [{"child": children[cid], "amount": money(amount)} for cid, amount in totals.items() if amount > 0]
    rows.sort(key=lambda r: r["child"].birth_date)
    return {"year": year, "rows": rows, "total": money(sum((r["amount"] for r in rows), Decimal("0")))}


def certificate_families(*, year):
    """Families with a payment received in ``year`` on a régie that gives right to the tax statement (one query)."""
    return Family.objects.filter(
        pk__in=PaymentAllocation.objects.filter(
            payment__received_on__year=year, invoice__regie__childcare_certificate=True
        ).values("invoice__family_id")
    ).order_by("number")
