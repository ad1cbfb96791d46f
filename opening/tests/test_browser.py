"""Fair opening in Chromium, at desktop and phone sizes (the ``screen`` fixture), with axe on every page:
a parent asks for days during the request phase and reads the result after publication; staff run the dry
run and publish."""
import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrolment import rules
from enrolment.models import Activity, Booking, BookingWindow, Group, OpeningPeriod, Unit
from enrolment.services import BOOK, Change, booking_commit
from enrolment.tests.factories import ActivityFactory, enrol
from families.tests.factories import parent_with_family
from opening import services
from opening.models import PlaceRequest
from portal.models import AuditLog

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def request_phase():
    """A holiday week (Monday to Friday, all in one month, three weeks ahead) whose window is in its
    request phase now: (activity, group, unit, window, phase, days)."""
    now = timezone.now()
    today = timezone.localdate(now, rules.PARIS)
    monday = today + datetime.timedelta(days=21 + (7 - today.weekday()) % 7)
    while (monday + datetime.timedelta(days=4)).month != monday.month:
        monday += datetime.timedelta(days=7)
    days = [monday + datetime.timedelta(days=i) for i in range(5)]
    activity = ActivityFactory(booking_rule=Activity.BookingRule.WINDOW, name="CLV Hiver", season_start=days[0],
                               season_end=days[-1])
    OpeningPeriod.objects.create(activity=activity, start_date=days[0], end_date=days[-1], skip_school_holidays=False,
                                 monday=True, tuesday=True, wednesday=True, thursday=True, friday=True)
    group = Group.objects.create(activity=activity, name="Tous niveaux")
    unit = Unit.objects.create(activity=activity, name="Journée", code="CLV-J", capacity=2)
    close = now + datetime.timedelta(days=2)
    window = BookingWindow.objects.create(
        activity=activity, name="Hiver", period_start=days[0], period_end=days[-1],
        opens_on=today + datetime.timedelta(days=4), closes_on=days[0] - datetime.timedelta(days=1),
        opening_mode=BookingWindow.OpeningMode.REQUESTS, requests_open_at=now - datetime.timedelta(days=1),
        requests_close_at=close,
        results_at=datetime.datetime.combine(today + datetime.timedelta(days=3), datetime.time(18, 0),
                                             tzinfo=rules.PARIS))
    return activity, group, unit, window, services.phase_for_window(window), days


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def _close_phase(window):
    window.requests_close_at = timezone.now() - datetime.timedelta(minutes=1)
    window.save(update_fields=["requests_close_at"])


def test_parent_requests_during_the_phase_then_reads_the_result(page, live_server, browser_login, axe_check,
                                                                 request_phase, screen):
    activity, group, unit, window, phase, days = request_phase
    user, family = parent_with_family(children=1)
    child = family.children.get()
    enrol(child, activity, group)
    browser_login(page, user)

    page.goto(f"{live_server.url}/ouverture/")
    expect(page.get_by_role("heading", name="Attribution des places")).to_be_visible()
    expect(page.get_by_text(phase.seed)).to_be_visible()
    axe_check(page)
    _no_horizontal_scroll(page)
    page.get_by_role("link", name="Faire mes demandes au planning").click()
    expect(page.get_by_text("Hiver : phase de demandes.")).to_be_visible()
    axe_check(page)
    for day in days[:2]:
        page.get_by_label(f"{rules.WEEKDAYS_FR[day.weekday()]} {day:%d/%m/%Y} – Journée").check()
    page.get_by_role("button", name="Voir mes réservations à confirmer").click()
    expect(page.get_by_text("Demande (attribution le").first).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Confirmer mes réservations").click()
    expect(page.get_by_text("Demandes enregistrées : 2 jour(s) demandé(s)")).to_be_visible()
    axe_check(page)
    assert PlaceRequest.objects.filter(child=child).count() == 2 and not Booking.objects.exists()

    enrolment = child.enrolments.get()
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/{days[0].year}/{days[0].month}/")
    note = rules.request_phase_note(rules.Window(days[0], days[-1], None, days[-1], mode=rules.REQUESTS,
                                                 results_at=window.results_at))
    expect(page.get_by_text(f"Journée : {note}").locator("visible=true").first).to_be_visible()
    axe_check(page)

    _close_phase(window)
    services.allocation_publish(phase=phase)
    page.goto(f"{live_server.url}/ouverture/")
    page.get_by_role("link", name="Voir mon résultat").click()
    expect(page.get_by_text("Rang 1 sur 1")).to_be_visible()
    expect(page.get_by_text(f"{days[0]:%d/%m/%Y} – {child.first_name} – Journée : réservé")).to_be_visible()
    page.get_by_text("Vérifier le tirage au sort").click()
    expect(page.get_by_text("(vérifiée)")).to_be_visible()
    axe_check(page)
    _no_horizontal_scroll(page)
    assert Booking.objects.filter(child=child, state="reserved").count() == 2


def test_staff_run_the_dry_run_and_publish(page, live_server, browser_login, axe_check, request_phase, staff_user,
                                           screen):
    activity, group, unit, window, phase, days = request_phase
    for _ in range(3):
        user, family = parent_with_family(children=1)
        child = family.children.get()
        enrol(child, activity, group)
        booking_commit(family=family, changes=[Change(d, child.id, unit.id, BOOK) for d in days[:2]], by=user)
    _close_phase(window)
    browser_login(page, staff_user)

    page.goto(f"{live_server.url}/personnel/ouverture/")
    axe_check(page)
    page.get_by_role("link", name="Simulation et publication").click()
    expect(page.get_by_text("Aucune simulation pour l'instant.")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Lancer une simulation (à blanc)").click()
    expect(page.get_by_role("heading", name="Simulation du")).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Tirage au sort seul")
    expect(page.get_by_text("3 famille(s), 6 demande(s) : 4 attribuée(s), 2 en liste d'attente")).to_be_visible()
    axe_check(page)
    assert not Booking.objects.exists()

    page.get_by_label("Je confirme").check()
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_text("Attribution publiée le")).to_be_visible()
    expect(page.get_by_role("heading", name="Publiée du")).to_be_visible()
    axe_check(page)
    _no_horizontal_scroll(page)
    assert Booking.objects.filter(state="reserved").count() == 4
    assert AuditLog.objects.filter(action="opening.publish", actor=staff_user).count() == 1
