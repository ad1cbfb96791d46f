"""Check-in on a phone and a desktop, through a network cut: taps kept on the device, sent once back, never
counted twice; undo, « Tous présents », a child come unbooked; axe, tap targets and no sideways scroll."""
import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from enrolment import rules
from enrolment.models import Booking, CheckInTap, OpeningPeriod
from families.models import AuthorisedPerson
from families.tests.factories import ChildFactory, FamilyFactory

from .factories import ActivityFactory, GroupFactory, UnitFactory, enrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site_today():
    today = timezone.localdate(timezone.now(), rules.PARIS)
    activity = ActivityFactory(name="Périscolaire du soir", season_start=today - datetime.timedelta(days=30),
                               season_end=today + datetime.timedelta(days=30),
                               activity_type__structure__name="École Jules Ferry")
    OpeningPeriod.objects.create(activity=activity, start_date=activity.season_start, end_date=activity.season_end,
                                 **{f: True for f in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                      "saturday", "sunday")}, skip_school_holidays=False)
    group = GroupFactory(activity=activity, name="Maternelle")
    unit = UnitFactory(activity=activity, name="Soir", code="SOIR", capacity=30)
    family = FamilyFactory()
    children = []
    for first in ("Alice", "Bruno", "Chloé", "Driss"):
        child = ChildFactory(family=family, first_name=first, last_name="LEROY")
        enrolment = enrol(child, activity, group)
        if first != "Driss":  # Driss is enrolled but not booked today
            Booking.objects.create(child=child, unit=unit, date=today, enrolment=enrolment, state="reserved")
        children.append(child)
    children[0].health.pai = True
    children[0].health.allergies = "Arachides"
    children[0].health.save()
    AuthorisedPerson.objects.create(child=children[0], last_name="DURAND", first_name="Paul", phone="06 11 22 33 44")
    return activity, unit, today, children


def _state(child):
    return Booking.objects.get(child=child).state


def _settled(page):
    expect(page.locator("#checkin-status")).to_have_attribute("data-pending", "0", timeout=15000)


def test_check_in_through_a_network_cut(page, context, live_server, browser_login, axe_check, site_today, staff_user):
    activity, unit, today, (alice, bruno, chloe, driss) = site_today
    browser_login(page, staff_user)
    page.goto(f"{live_server.url}/personnel/inscriptions/pointage/?site={activity.activity_type.structure.pk}")
    expect(page.get_by_role("heading", name="Pointage – École Jules Ferry")).to_be_visible()
    axe_check(page)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    for button in page.locator(".checkin-btn:visible").all():
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, button.inner_text()
    # Health and pick-up persons from the row.
    page.get_by_text("Santé et personnes autorisées : Alice").click()
    opened = page.locator("details[open]")
    expect(opened.get_by_text("Paul DURAND")).to_be_visible()
    expect(opened.get_by_text("Arachides")).to_be_visible()
    expect(opened.get_by_text("PAI", exact=True)).to_be_visible()

    # Online: a tap is saved without reloading.
    page.get_by_role("button", name="Arrivée : Alice LEROY").click()
    _settled(page)
    assert _state(alice) == "present" and Booking.objects.get(child=alice).arrived_at is not None
    expect(page.locator('[data-count="present"]')).to_have_text("1")

    # The network is cut: taps are kept on the device and shown at once.
    context.set_offline(True)
    page.get_by_role("button", name="Départ : Alice LEROY").click()
    page.get_by_role("button", name="Absent : Bruno LEROY").click()
    page.get_by_role("button", name="Tous présents : Soir, Maternelle").click()  # Chloé only: the others are tapped
    expect(page.locator("#checkin-status")).to_contain_text("3 pointage(s) en attente")
    expect(page.locator('[data-count="present"]')).to_have_text("2")
    expect(page.locator('[data-count="absent"]')).to_have_text("1")
    axe_check(page)
    assert _state(bruno) == "reserved" and _state(chloe) == "reserved"  # nothing reached the server
    assert len(page.evaluate("JSON.parse(localStorage.getItem('portal-checkin-queue'))")) == 3

    # Back: everything is sent, once.
    context.set_offline(False)
    _settled(page)
    assert _state(bruno) == "absent_billed" and _state(chloe) == "present"
    assert Booking.objects.get(child=alice).left_at is not None
    assert CheckInTap.objects.count() == 4

    # The answer lost in a cut: the device sends the tap again, the server applies it once.
    lost = []

    def lose_first_answer(route):
        if not lost:
            route.fetch()  # reaches the server…
            lost.append(1)
            route.abort()  # …but the answer never comes back
        else:
            route.continue_()

    page.route("**/personnel/inscriptions/pointage/envoi/", lose_first_answer)
    page.get_by_role("button", name="Annuler le dernier pointage : Bruno LEROY").click()
    _settled(page)
    assert _state(bruno) == "reserved"
    assert CheckInTap.objects.filter(action="undo").count() == 1 and CheckInTap.objects.count() == 5
    page.unroute("**/personnel/inscriptions/pointage/envoi/")

    # A child come without a booking.
    page.get_by_label("Enfant inscrit").select_option(label=f"LEROY Driss – {activity.name}")
    page.get_by_role("button", name="Ajouter présent").click()
    _settled(page)
    booking = Booking.objects.get(child=driss)
    assert booking.state == "present" and booking.walk_in
    expect(page.locator("#walk-in-list")).to_contain_text("Driss")
    expect(page.locator('[data-count="present"]')).to_have_text("3")
    axe_check(page)
