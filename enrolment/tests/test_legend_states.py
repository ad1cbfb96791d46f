"""The states of seed 002's legend, as the calendars compute and say them (issue 20): an absence whose
certificate is being examined, a booking request pending or refused (activities whose bookings need the
service's approval), and a day booked outside the enrolment's contract (the regular units an activity
pre-books). Each has a symbol, words, and its legend entry; the states are built through the services."""
import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrolment import rules, selectors, services
from enrolment.models import Booking, Unit
from enrolment.services import BOOK, Change
from families.tests.factories import parent_with_family

from .factories import enrol, wednesdays_activity

pytestmark = pytest.mark.django_db
P = datetime.timezone(datetime.timedelta(hours=1))
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)
D = datetime.date
DEC3, DEC10 = D(2025, 12, 3), D(2025, 12, 10)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _family(**activity):
    user, family = parent_with_family(children=1)
    child = family.children.get()
    act, group, units = wednesdays_activity(**activity)
    return user, family, child, act, group, units, enrol(child, act, group)


def _cell(enrolment, day, unit):
    """The cell of ``unit`` on ``day`` in the enrolment's calendar."""
    (d,) = selectors.calendar_days(enrolment=enrolment, start=day, end=day, now=NOW)
    return next(c for c in d.cells if c.unit.id == unit.id)


def _grid_cell(child, day, unit):
    """(symbol, words) of ``unit`` on ``day`` in the child's all-activities month."""
    grid = selectors.child_month_planning(child=child, year=day.year, month=day.month)
    row = next(r for r in grid["rows"] if r["unit"].id == unit.id)
    return row["cells"][day.day - 1]


def _legend_has(symbol, words):
    return any(s == symbol and t.startswith(words) for s, t in selectors.LEGEND)


def test_absence_being_examined(staff_user):
    user, family, child, activity, group, (unit,), enrolment = _family(notice_days=2)
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(DEC3, child.id, unit.id, BOOK)])
    certificate = SimpleUploadedFile("certificat.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    services.booking_declare_absence(booking=Booking.objects.get(child=child), by=user, certificate=certificate,
                                     now=datetime.datetime(2025, 12, 2, 8, 0, tzinfo=P))
    cell = _cell(enrolment, DEC3, unit)
    assert (cell.sym, cell.text, cell.mode) == ("AE?", "Journée : Absence : justificatif en cours d'examen", "locked")
    assert _grid_cell(child, DEC3, unit) == ("AE?", "Absence : justificatif en cours d'examen")
    assert _legend_has("AE?", "Absence : justificatif en cours d'examen")
    # Once staff decide, the day says the decision.
    services.booking_excuse(booking=Booking.objects.get(child=child), accept=False, by=staff_user,
                            reason="Certificat illisible.")
    assert _cell(enrolment, DEC3, unit).text == "Journée : Absent facturé"


def test_request_pending_then_refused(staff_user):
    user, family, child, activity, group, (unit,), enrolment = _family(bookings_need_approval=True)
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(DEC3, child.id, unit.id, BOOK),
                                                                       Change(DEC10, child.id, unit.id, BOOK)])
    cell = _cell(enrolment, DEC3, unit)
    assert (cell.sym, cell.text) == ("?", "Journée : Demande en attente de réponse du service")
    assert cell.mode == "box" and cell.checked  # a pending request can still be withdrawn
    assert _grid_cell(child, DEC3, unit) == ("?", "Demande en attente de réponse du service")
    assert _legend_has("?", "Demande en attente de réponse du service")
    services.booking_decide(booking=Booking.objects.get(date=DEC10), accept=False, by=staff_user, reason="Complet", now=NOW)
    cell = _cell(enrolment, DEC10, unit)
    assert (cell.sym, cell.text) == ("✗", "Journée : Demande refusée par le service")
    assert cell.mode == "box" and not cell.checked  # it may be asked again
    assert _grid_cell(child, DEC10, unit) == ("✗", "Demande refusée par le service")
    assert _legend_has("✗", "Demande refusée par le service")


class TestOffContract:
    @pytest.fixture
    def contract(self):
        """ALAE-like: « Matin » is regular and pre-booked by the enrolment (the contract), « Soir » is not."""
        user, family, child, activity, group, (morning, evening), enrolment = _family(
            units=("Matin", "Soir"), prebook_regular=True)
        Unit.objects.filter(pk=morning.pk).update(is_regular=True)
        morning.refresh_from_db()
        assert services.enrolment_prebook(enrolment=enrolment, start=DEC3, end=DEC10, now=NOW) == 2
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(DEC3, child.id, evening.id, BOOK)])
        return user, family, child, activity, morning, evening, enrolment

    def test_a_day_outside_the_regular_units_says_so(self, contract):
        user, family, child, activity, morning, evening, enrolment = contract
        assert _cell(enrolment, DEC3, morning).text == "Matin : Réservé"
        cell = _cell(enrolment, DEC3, evening)
        assert (cell.sym, cell.text, cell.state) == ("HC", "Soir : Réservation hors contrat", "reserved")
        assert cell.mode == "box" and cell.checked  # it is a booking like any other: it can be cancelled
        assert _grid_cell(child, DEC3, evening) == ("HC", "Réservation hors contrat")
        assert _grid_cell(child, DEC3, morning) == ("✓", "Réservé")
        assert _legend_has("HC", "Réservation hors contrat")
        # Billed as any booking: the state is « reserved », a billable state.
        assert Booking.objects.get(unit=evening).state in Booking.BILLABLE_STATES

    def test_staff_attendance_sheet_says_it_too(self, contract):
        user, family, child, activity, morning, evening, enrolment = contract
        rows = selectors.attendance_sheet(day=DEC3, activity=activity)
        assert sorted(r["state_text"] for r in rows) == ["Réservé", "Réservé – hors contrat"]

    def test_no_contract_without_pre_booked_regular_units(self):
        user, family, child, activity, group, (morning, evening), enrolment = _family(units=("Matin", "Soir"))
        Unit.objects.filter(pk=morning.pk).update(is_regular=True)  # regular, but the activity pre-books nothing
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(DEC3, child.id, evening.id, BOOK)])
        assert _cell(enrolment, DEC3, evening).text == "Soir : Réservé"

    def test_rules(self):
        regular, extra = Unit(id=1, is_regular=True), Unit(id=2, is_regular=False)
        assert rules.contract_units(False, [regular, extra]) is None
        assert rules.contract_units(True, [extra]) is None
        contract = rules.contract_units(True, [regular, extra])
        assert contract == {1}
        assert rules.off_contract("reserved", 2, contract) and not rules.off_contract("reserved", 1, contract)
        for state in ("requested", "present", "absent_billed", "excused", "refused"):
            assert not rules.off_contract(state, 2, contract), state
        assert not rules.off_contract("reserved", 2, None)


def test_pages_say_each_state_in_words_and_in_their_legend(client):
    """The month, the fortnight and the child's month write each state in words (the symbol is hidden from
    screen readers) and carry the legend."""
    user, family, child, activity, group, (morning, evening), enrolment = _family(units=("Matin", "Soir"),
                                                                                  prebook_regular=True)
    Unit.objects.filter(pk=morning.pk).update(is_regular=True)
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(DEC3, child.id, evening.id, BOOK)])
    client.force_login(user)
    for url in (reverse("enrolment:month", args=[enrolment.pk, 2025, 12]),
                reverse("enrolment:fortnight", args=[enrolment.pk, 2025, 12, 1]),
                reverse("enrolment:child_month", args=[child.pk, 2025, 12])):
        html = client.get(url).content.decode()
        assert '<span class="cal-sym" aria-hidden="true">HC</span> Réservation hors contrat (en plus' in html, url
        assert ('Soir : Réservation hors contrat' in html
                or '<span aria-hidden="true">HC</span><span class="visually-hidden">Réservation hors contrat</span>'
                in html), url
        for words in ("Demande en attente de réponse du service", "Demande refusée par le service",
                      "Absence : justificatif en cours d&#x27;examen"):
            assert words in html, (url, words)
