import datetime
from decimal import Decimal as D

import pytest

from billing.models import CreditNote, FamilyPayer, Invoice, InvoiceLine, NumberSequence
from billing.services.invoicing import credit_note_issue, invoice_issue_period
from families.tests.factories import GuardianFactory, parent_with_family
from portal.errors import BillingError
from portal.mail import email_queue
from portal.models import AuditLog, OutboundEmail
from portal.tests.concurrency import run_in_threads

from .factories import March, activity_make, book, enrol, regie_make, tariff_flat

pytestmark = pytest.mark.django_db


def test_fixture_month_gives_exact_lines_and_total(march, issued):
    invoice = issued
    assert invoice.number == "AL-2026-00001"
    assert invoice.total == D("45.20")  # 3 × 12.50 (QF 850) + 2 × 3.85
    assert invoice.due_on == datetime.date(2026, 5, 2)
    assert invoice.payer.rank == 1 and invoice.payer_name == invoice.payer.full_name
    lines = list(invoice.lines.order_by("unit_name", "date").values_list("unit_name", "date", "quantity", "unit_price", "amount"))
    assert lines == [
        ("Journée", datetime.date(2026, 3, 4), 1, D("12.50"), D("12.50")),
        ("Journée", datetime.date(2026, 3, 11), 1, D("12.50"), D("12.50")),
        ("Journée", datetime.date(2026, 3, 18), 1, D("12.50"), D("12.50")),
        ("Repas", datetime.date(2026, 3, 4), 1, D("3.85"), D("3.85")),
        ("Repas", datetime.date(2026, 3, 11), 1, D("3.85"), D("3.85")),
    ]
    billed = set(InvoiceLine.objects.values_list("booking_id", flat=True))
    b = march.bookings
    assert billed == {b["day_reserved"].pk, b["day_present"].pk, b["day_absent_billed"].pk, b["meal_reserved"].pk, b["meal_present"].pk}
    line = invoice.lines.get(booking=b["day_absent_billed"])
    assert line.state_label == "Absent facturé" and line.tariff_label == "CENTRE DE LOISIRS JOURNÉE"
    assert line.child_name == str(march.child) and line.activity_name == march.activity.name
    assert OutboundEmail.objects.filter(template="invoice_issued", to=invoice.payer.email).count() == 1


def test_rerun_creates_nothing_new(march, issued):
    again = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end)
    assert again == []
    assert Invoice.objects.count() == 1 and InvoiceLine.objects.count() == 5
    assert NumberSequence.objects.get(regie=march.regie, year=2026, kind="invoice").last_number == 1


def test_a_late_billable_booking_gets_its_own_next_invoice(march, issued):
    march.bookings["day_excused"].state = "absent_billed"
    march.bookings["day_excused"].save()
    [second] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end, issued_on=datetime.date(2026, 4, 3))
    assert second.number == "AL-2026-00002" and second.total == D("12.50")


def test_other_regie_and_non_billable_units_are_not_invoiced(march, other_family):
    other = March(other_family[1], prefix="RS")
    march.meal_unit.billable = False
    march.meal_unit.save()
    created = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end)
    assert [i.family_id for i in created] == [march.family.pk]
    assert created[0].total == D("37.50")
    assert not Invoice.objects.filter(family=other.family).exists()


def test_issued_invoice_is_immutable(issued):
    issued.total = D("1.00")
    with pytest.raises(BillingError):
        issued.save()
    with pytest.raises(BillingError):
        issued.delete()
    line = issued.lines.first()
    line.amount = D("0")
    with pytest.raises(BillingError):
        line.save()
    issued.refresh_from_db()
    assert issued.total == D("45.20")


def test_credit_note_reduces_what_is_due_and_is_numbered(issued, staff_user):
    note = credit_note_issue(invoice=issued, amount=D("12.50"), reason="Absence excusée (certificat médical)", by=staff_user)
    issued.refresh_from_db()
    assert note.number == "AV-AL-2026-00001"
    assert issued.total == D("45.20") and issued.credited_amount == D("12.50") and issued.remaining == D("32.70")
    assert AuditLog.objects.filter(action="billing.credit_note", actor=staff_user).exists()
    with pytest.raises(BillingError):
        credit_note_issue(invoice=issued, amount=D("40"), reason="Trop", by=staff_user)
    credit_note_issue(invoice=issued, amount=D("32.70"), reason="Annulation", by=staff_user)
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.CANCELLED and CreditNote.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuing_keeps_numbers_gapless(django_db_blocker):
    regie, structure = regie_make()
    activity, group, (unit,) = activity_make(structure=structure, units=("Journée",))
    tariff_flat(unit, "10.00")
    for _ in range(6):
        _, family = parent_with_family(children=1)
        child = family.children.first()
        enrolment = enrol(child, activity, group)
        for day in (4, 11):
            book(child, unit, enrolment, datetime.date(2026, 3, day))
    errors = run_in_threads(lambda: invoice_issue_period(
        regie=regie, period_start=datetime.date(2026, 3, 1), period_end=datetime.date(2026, 3, 31),
        issued_on=datetime.date(2026, 4, 1),
    ))
    assert errors == []
    numbers = sorted(Invoice.objects.values_list("sequence_number", flat=True))
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert InvoiceLine.objects.count() == 12
    assert all(inv.total == D("20.00") for inv in Invoice.objects.all())


def test_invoice_email_is_the_one_email_queue_renders(march, issued):
    """The bulk path (``email_queue_many``) records exactly what ``email_queue`` would."""

    bulk = OutboundEmail.objects.get(template="invoice_issued")
    single = email_queue(
        to=issued.payer.email, template="invoice_issued",
        context={"invoice": issued, "guardian": issued.payer, "regie": issued.regie}, related=issued,
    )
    fields = ("to", "subject", "body_text", "body_html", "template", "related_label", "related_type", "related_id", "status")
    assert [getattr(bulk, f) for f in fields] == [getattr(single, f) for f in fields]
    assert bulk.queued_at is not None and issued.number in bulk.subject and "45,20 €" in bulk.body_text


def test_issue_sends_the_emails_after_commit_in_one_dispatch(march, other_family, django_capture_on_commit_callbacks, monkeypatch):
    dispatched = []
    monkeypatch.setattr("portal.mail.email_dispatch", lambda ids, probe=False: dispatched.append(list(ids)))
    child = other_family[1].children.first()
    enrolment = enrol(child, march.activity, march.group)
    book(child, march.meal_unit, enrolment, datetime.date(2026, 3, 4))
    with django_capture_on_commit_callbacks(execute=True):
        invoices = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end)
    assert len(invoices) == 2
    emails = OutboundEmail.objects.filter(template="invoice_issued").order_by("pk")
    assert sorted(e.related_id for e in emails) == sorted(str(i.pk) for i in invoices)
    assert dispatched == [[e.pk for e in emails]]


def test_invoice_goes_to_the_payers_own_address_when_they_live_apart(march, parent):
    """Separated parents: the invoice of the guardian billed is addressed where that guardian lives
    (``Guardian.postal_address_lines``); a guardian at the family's address gets the family's."""

    user, family = parent
    second = GuardianFactory(family=family, rank=2, civility="M.", first_name="Marc", email="", user=None,
                             same_address=False, address_line1="8 chemin des Vignes", postcode="07430", city="Davézieux")
    FamilyPayer.objects.create(family=family, guardian=second)
    [invoice] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end,
                                     issued_on=datetime.date(2026, 4, 2))
    assert invoice.payer == second and invoice.payer_address == "8 chemin des Vignes\n07430 Davézieux"
    FamilyPayer.objects.filter(family=family).update(guardian=user.guardian)
    march.bookings["day_excused"].state = "absent_billed"
    march.bookings["day_excused"].save()
    [late] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end,
                                  issued_on=datetime.date(2026, 4, 3))
    assert late.payer_address == "\n".join(family.address_lines)
