"""« Mes demandes » in Chromium at desktop and phone sizes, with axe: a parent sees, under « Mes enfants », a
booking request waiting for the service and an absence whose certificate was refused, with its reason; the
filter keeps the absences alone."""
import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrolment.models import Booking
from families.tests.factories import parent_with_family

from .factories import enrol, wednesdays_activity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
REASON = "Le certificat médical est daté du lendemain de l'absence."


@pytest.fixture
def requests_of_a_family():
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(bookings_need_approval=True, public_name="Garderie du mercredi")
    enrolment = enrol(child, activity, group)
    now = timezone.now()
    Booking.objects.create(child=child, unit=unit, enrolment=enrolment, date=datetime.date(2026, 3, 4),
                           state="requested")
    Booking.objects.create(child=child, unit=unit, enrolment=enrolment, date=datetime.date(2026, 2, 4),
                           state="absent_billed", excuse="denied", absence_declared_at=now - datetime.timedelta(days=3),
                           excuse_decided_at=now - datetime.timedelta(days=2), excuse_refusal_reason=REASON)
    return user, child


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _tap_targets(page):
    """The filter and the links to the plannings are at least 44 px high on a phone."""
    small = page.evaluate("""() => [...document.querySelectorAll('main a.btn, main button, main select, main .nav-link')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map(e => e.outerHTML.slice(0, 80))""")
    assert not small, small


def test_parent_sees_a_pending_booking_request_and_a_refused_absence_with_its_reason(
        page, live_server, browser_login, axe_check, requests_of_a_family, screen):
    user, child = requests_of_a_family
    browser_login(page, user)
    page.goto(f"{live_server.url}/famille/")
    page.get_by_role("link", name="Mes demandes").first.click()
    expect(page.get_by_role("heading", name="Mes demandes", level=1)).to_be_visible()
    axe_check(page)
    _no_horizontal_scroll(page)
    if screen == "phone":
        _tap_targets(page)

    children = page.get_by_role("region", name="Mes enfants")
    request = children.get_by_role("article", name=re.compile("Réservation – Garderie du mercredi"))
    expect(request.get_by_text("En attente de réponse du service")).to_be_visible()
    expect(request.get_by_text("mer 04/03/2026")).to_be_visible()
    absence = children.get_by_role("article", name=re.compile("Absence"))
    expect(absence.get_by_text("Refusée", exact=False).first).to_be_visible()
    expect(absence.get_by_text(REASON)).to_be_visible()
    expect(absence.get_by_text(re.compile(r"refusée le \d\d/\d\d/\d{4}"))).to_be_visible()
    expect(page.get_by_role("region", name="Mon dossier").get_by_text("Aucune demande sur la période.")).to_be_visible()

    page.get_by_label("Type de demande").select_option(label="Absences")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_text(REASON)).to_be_visible()
    expect(page.get_by_text("Réservation – Garderie du mercredi")).to_have_count(0)
    axe_check(page)
    _no_horizontal_scroll(page)
