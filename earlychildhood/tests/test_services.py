"""Services: requests, the commission, offers, contracts and the monthly invoice (PostgreSQL)."""
import datetime
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from billing.models import Invoice
from earlychildhood.errors import EarlyChildhoodError
from earlychildhood.models import Attendance, Decision, Deduction, MonthlyStatement, NurseryClosure, PreEnrolment
from earlychildhood.pdf import session_minute_pdf
from earlychildhood.selectors import caf_hours, session_requests
from earlychildhood.services import commission, contracts, requests
from portal.models import OutboundEmail

from .factories import nursery_make, pre_make, session_make

pytestmark = pytest.mark.django_db


def _offer(parent, *, places=1, start=datetime.date(2026, 3, 1)):
    user, family = parent
    nursery, section = nursery_make()
    pre = pre_make(family, nursery, user=user, criteria=["working", "single_parent"])
    session, spot = session_make(section, places=places, start=start)
    commission.decision_record(session=session, pre=pre, kind=Decision.Kind.OFFER, places=spot)
    commission.session_hold(session=session)
    return pre, session, spot, Decision.objects.get(session=session, pre_enrolment=pre)


def test_request_is_filed_with_history_and_an_email(parent):
    user, family = parent
    nursery, _ = nursery_make()
    pre = pre_make(family, nursery, user=user, criteria=["working"])
    assert pre.status == "pending" and pre.child is None
    assert [e.label for e in pre.events.all()] == ["Demande déposée"]
    assert OutboundEmail.objects.filter(template="earlychildhood_request").exists()


def test_score_lines_from_published_weights(parent):
    user, family = parent
    nursery, section = nursery_make()
    pre = pre_make(family, nursery, criteria=["working", "resident"])
    session, _ = session_make(section)
    [row] = session_requests(session)
    assert row.pk == pre.pk and row.score == 50
    assert sorted(row.score_lines) == [("Domicile dans une commune membre", 20),
                                       ("Parents qui travaillent ou suivent une formation", 30)]


def test_offer_accepted_becomes_a_contract_with_the_rate_in_force(parent):
    pre, session, spot, decision = _offer(parent)
    pre.refresh_from_db()
    assert pre.status == "offered" and decision.offer_expires_on
    contract = commission.offer_answer(decision=decision, accept=True)
    # 2 500 €, one child, barème 0,0619 %: 1,55 €/h; 13 h a week × 45 weeks ÷ 12 = 48,75 h → 75,56 €.
    assert contract.hourly_rate == D("1.55") and contract.weekly_hours == D("13.00")
    assert contract.monthly_hours == D("48.75") and contract.monthly_amount == D("75.56")
    assert contract.ceiling == D("8500.00") and contract.floor == D("801.00")
    with pytest.raises(EarlyChildhoodError):
        commission.offer_answer(decision=decision, accept=True)


def test_places_are_never_exceeded(parent, other_family):
    pre, session, spot, _ = _offer(parent)
    other = pre_make(other_family[1], spot.section.nursery)
    session2, spot2 = session_make(spot.section, places=1)
    commission.decision_record(session=session2, pre=other, kind=Decision.Kind.OFFER, places=spot2)
    third = pre_make(other_family[1], spot.section.nursery)
    with pytest.raises(EarlyChildhoodError, match="plus de place"):
        commission.decision_record(session=session2, pre=third, kind=Decision.Kind.OFFER, places=spot2)
    with pytest.raises(EarlyChildhoodError, match="motif"):
        commission.decision_record(session=session2, pre=third, kind=Decision.Kind.REFUSE)


def test_lapsed_offer_goes_to_the_next_request(parent, other_family):
    user, family = parent
    nursery, section = nursery_make()
    first = pre_make(family, nursery, criteria=["working"])
    second = pre_make(other_family[1], nursery)
    session, spot = session_make(section, places=1)
    commission.decision_record(session=session, pre=first, kind=Decision.Kind.OFFER, places=spot)
    commission.decision_record(session=session, pre=second, kind=Decision.Kind.KEEP)
    commission.session_hold(session=session)
    later = timezone.now() + datetime.timedelta(days=20)
    assert commission.offers_expire(now=later) == 1
    assert commission.offers_expire(now=later) == 0  # idempotent
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "lapsed" and second.status == "offered"
    assert Decision.objects.get(pre_enrolment=second).places == spot


def test_confirmation_reminder_then_lapse(parent):
    user, family = parent
    nursery, _ = nursery_make()
    pre = pre_make(family, nursery)
    assert requests.confirmation_reminders(now=timezone.now() + datetime.timedelta(days=92)) == (1, 0)
    assert requests.confirmation_reminders(now=timezone.now() + datetime.timedelta(days=93)) == (0, 0)
    assert requests.confirmation_reminders(now=timezone.now() + datetime.timedelta(days=130)) == (0, 1)
    pre.refresh_from_db()
    assert pre.status == "lapsed"
    assert OutboundEmail.objects.filter(template="earlychildhood_lapsed").count() == 1


def test_confirm_keeps_the_request_alive(parent):
    user, family = parent
    nursery, _ = nursery_make()
    pre = pre_make(family, nursery)
    requests.confirmation_reminders(now=timezone.now() + datetime.timedelta(days=92))
    requests.pre_enrolment_confirm(pre=pre, user=user, now=timezone.now() + datetime.timedelta(days=95))
    assert requests.confirmation_reminders(now=timezone.now() + datetime.timedelta(days=130)) == (0, 0)


def test_birth_turns_the_expected_child_into_a_child_record(parent):
    pre, session, spot, decision = _offer(parent)
    contract = commission.offer_answer(decision=decision, accept=True)
    child = requests.pre_enrolment_birth(pre=pre, user=None, first_name="Camille", last_name="Martin",
                                         birth_date=timezone.localdate() - datetime.timedelta(days=2), sex="F")
    pre.refresh_from_db()
    contract.refresh_from_db()
    assert pre.child == child and contract.child == child and child.family == pre.family
    with pytest.raises(EarlyChildhoodError):
        requests.pre_enrolment_birth(pre=pre, user=None, first_name="X", last_name="Y",
                                     birth_date=timezone.localdate(), sex="F")


def test_withdraw_gives_the_place_back(parent):
    pre, session, spot, decision = _offer(parent)
    requests.pre_enrolment_withdraw(pre=pre, user=None)
    decision.refresh_from_db()
    assert decision.answer == "declined" and not decision.holds_place


def test_month_invoice_with_one_extra_half_hour_and_one_deducted_day(parent):
    pre, session, spot, decision = _offer(parent)
    contract = commission.offer_answer(decision=decision, accept=True)
    # March 2026: Monday 2nd, 08:00–17:20 (contract 08:00–17:00): one started half-hour.
    contracts.attendance_record(contract=contract, day=datetime.date(2026, 3, 2), arrival=datetime.time(8, 0),
                                departure=datetime.time(17, 20))
    Deduction.objects.create(contract=contract, kind="hospital", start=datetime.date(2026, 3, 9),
                             end=datetime.date(2026, 3, 9))
    now = timezone.make_aware(datetime.datetime(2026, 4, 1, 9, 0))
    statement = contracts.contract_month_invoice(contract=contract, month=datetime.date(2026, 3, 1), now=now)
    assert statement.extra_half_hours == 1 and statement.deducted_hours == D("9.00")
    # 75,56 + 1 × 0,78 (half of 1,55, to the cent) − 9 h × 1,55
    assert statement.total == D("75.56") + D("0.78") - D("13.95")
    invoice = statement.invoice
    assert invoice.total == statement.total and invoice.number.startswith("PE-2026-")
    labels = list(invoice.lines.order_by("pk").values_list("unit_name", flat=True))
    assert labels == ["Mensualisation du contrat", "Heures complémentaires (par demi-heure commencée)",
                      "Déduction : Hospitalisation de l'enfant"]
    with pytest.raises(EarlyChildhoodError, match="déjà facturé"):
        contracts.contract_month_invoice(contract=contract, month=datetime.date(2026, 3, 1), now=now)
    assert Invoice.objects.count() == 1 and MonthlyStatement.objects.count() == 1
    [row] = caf_hours(year=2026)
    assert row["contract_hours"] == D("48.75") and row["attended_hours"] == D("9.33")
    assert row["billed_hours"] == D("48.75") + D("0.5") - D("9")


def test_attendance_checks(parent):
    pre, session, spot, decision = _offer(parent)
    contract = commission.offer_answer(decision=decision, accept=True)
    with pytest.raises(EarlyChildhoodError):
        contracts.attendance_record(contract=contract, day=datetime.date(2026, 3, 2), arrival=datetime.time(9),
                                    departure=datetime.time(8))
    assert not Attendance.objects.exists()


def test_minute_pdf_has_decisions_and_no_health_criterion(parent):
    user, family = parent
    nursery, section = nursery_make()
    pre = pre_make(family, nursery, criteria=["disability", "working"])
    session, spot = session_make(section)
    commission.decision_record(session=session, pre=pre, kind=Decision.Kind.OFFER, places=spot)
    text = PdfReader(BytesIO(session_minute_pdf(session))).pages[0].extract_text()
    assert "Place proposée" in text and "Parents qui travaillent" in text
    assert "Handicap" not in text and "Critère confidentiel" in text


def test_decisions_are_emailed_when_the_session_is_held(parent):
    mail.outbox.clear()
    _offer(parent)
    assert OutboundEmail.objects.filter(template="earlychildhood_decision").count() >= 1
    assert PreEnrolment.objects.get().events.count() == 2


def test_a_closure_of_the_creche_is_deducted_from_every_contract(parent):
    pre, session, spot, decision = _offer(parent)
    contract = commission.offer_answer(decision=decision, accept=True)
    # Wednesday 4 March 2026 (08:00–12:00 in the contract) and Thursday 5 (no slot: nothing to deduct).
    NurseryClosure.objects.create(nursery=contract.nursery, start=datetime.date(2026, 3, 4),
                                  end=datetime.date(2026, 3, 5), reason="Travaux")
    bill = contracts.month_compute(contract, datetime.date(2026, 3, 1))
    assert [(d, h, r) for d, h, r in bill.deducted_days] == [
        (datetime.date(2026, 3, 4), D("4.00"), "Fermeture de la crèche")]
    assert bill.deducted_amount == D("6.20")


def test_offer_page_shows_the_estimated_rate(client, parent):
    pre, session, spot, decision = _offer(parent)
    client.force_login(parent[0])
    body = client.get(f"/petite-enfance/proposition/{decision.pk}/").content.decode()
    assert "Tarif horaire estimé" in body and "1,55 €" in body
