"""Booking as a parent reads it (issue 20), in Chromium at phone and desktop sizes with axe: the deadline in
words, the calendar opening on the first month that can change, the unit rules said and checked as boxes are
ticked, the confirmation page with its amounts, and booking two days by keyboard alone."""
import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Tariff
from enrolment import rules
from enrolment.models import Booking, OpeningPeriod
from families.tests.factories import parent_with_family
from portal.models import OutboundEmail

from .factories import ActivityFactory, GroupFactory, UnitFactory, enrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _next_month(day):
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def _expected(today):
    """(first month that can change, its deadline), worked out by hand from « the 20th of the month before »."""
    month = _next_month(today) if today.day <= 20 else _next_month(_next_month(today))
    deadline = (month - datetime.timedelta(days=1)).replace(day=20)
    return month, deadline


def _wednesdays(month):
    _, last = rules.month_bounds(month.year, month.month)
    first = month + datetime.timedelta(days=(2 - month.weekday()) % 7)
    return [first + datetime.timedelta(weeks=w) for w in range(6) if first + datetime.timedelta(weeks=w) <= last]


@pytest.fixture
def leisure():
    """Wednesdays with Journée, Matin, Après-midi and Repas (the demo's rules), priced, one child enrolled."""
    today = timezone.localdate(timezone.now(), rules.PARIS)
    start, end = today - datetime.timedelta(days=60), today + datetime.timedelta(days=200)
    activity = ActivityFactory(name="2026/2027 - CL Maternel Mercredis", public_name="Mercredis au centre de loisirs",
                               season_start=start, season_end=end, booking_rule="monthly", deadline_day=20)
    OpeningPeriod.objects.create(activity=activity, start_date=start, end_date=end, wednesday=True,
                                 skip_school_holidays=False)
    group = GroupFactory(activity=activity, name="Maternelle")
    day = UnitFactory(activity=activity, name="Journée", code="J", capacity=20, order=0)
    morning = UnitFactory(activity=activity, name="Matin", code="M", capacity=20, order=1)
    afternoon = UnitFactory(activity=activity, name="Après-midi", code="AM", capacity=20, order=2)
    meal = UnitFactory(activity=activity, name="Repas", code="R", capacity=20, order=3)
    day.incompatible_units.set([morning, afternoon])
    meal.required_units.set([day, morning, afternoon])
    Tariff.objects.create(unit=day, label="JOURNÉE", mode="flat", flat_price=Decimal("8.50"), valid_from=start)
    Tariff.objects.create(unit=meal, label="REPAS", mode="flat", flat_price=Decimal("3.20"), valid_from=start)
    user, family = parent_with_family(children=1)
    child = family.children.get()
    enrolment = enrol(child, activity, group)
    return user, child, enrolment, {"day": day, "meal": meal}, today


def test_deadline_live_unit_rule_and_confirmation_with_amounts(page, live_server, browser_login, axe_check, leisure):
    user, child, enrolment, units, today = leisure
    month, deadline = _expected(today)
    months = rules.MONTHS_FR
    sentence = (f"Réservations pour {months[month.month - 1]}{'' if month.year == today.year else f' {month.year}'} "
                f"possibles jusqu'au {deadline.day} {months[deadline.month - 1]}"
                f"{'' if deadline.year == today.year else f' {deadline.year}'} à 23 h 59")
    browser_login(page, user)

    # The planning states the deadline, with the parent's name of the activity (not the staff code).
    page.goto(f"{live_server.url}/inscriptions/planning/")
    expect(page.get_by_text(sentence).first).to_be_visible()
    expect(page.get_by_text("Mercredis au centre de loisirs").first).to_be_visible()
    expect(page.get_by_text("CL Maternel")).to_have_count(0)
    axe_check(page)

    # The calendar opens on the first month that can change, says the deadline and offers « Modifier ».
    page.get_by_role("link", name=re.compile("Calendrier")).click()
    page.wait_for_url(re.compile(rf"/{month.year}/{month.month}/$"))
    expect(page.get_by_text(sentence + ".")).to_be_visible()
    axe_check(page)
    # The current month is locked: no « Modifier » there.
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/{today.year}/{today.month}/")
    expect(page.get_by_role("link", name="Modifier", exact=True)).to_have_count(0)
    # « Sélection en masse » proposes the first month that can change, and says the deadline too.
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/selection/masse/")
    expect(page.get_by_label("Du", exact=True)).to_have_value(month.isoformat())
    expect(page.get_by_text(sentence + ".")).to_be_visible()
    axe_check(page)

    # The unit rules are said next to the boxes, and checked as they are ticked.
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/{month.year}/{month.month}/")
    page.get_by_role("link", name="Modifier", exact=True).click()
    expect(page.get_by_text("« Journée » ne se réserve pas avec « Matin » ou « Après-midi ».")).to_be_visible()
    expect(page.get_by_text("« Repas » se réserve avec « Journée », « Matin » ou « Après-midi ».")).to_be_visible()
    first, second = _wednesdays(month)[:2]
    meal_box = page.get_by_label(f"{first:%d/%m/%Y} – Repas")
    meal_box.check()
    live = page.locator("#regles-live")
    expect(live).to_contain_text("« Repas » nécessite aussi « Journée », « Matin » ou « Après-midi » ce jour-là.")
    expect(page.get_by_label(f"{first:%d/%m/%Y} – Repas")).to_have_accessible_name(re.compile("sera réservé"))
    axe_check(page)
    page.get_by_label(f"{first:%d/%m/%Y} – Journée").check()
    expect(live).not_to_contain_text("nécessite")
    page.get_by_label(f"{first:%d/%m/%Y} – Matin").check()
    expect(live).to_contain_text("« Journée » et « Matin » ne peuvent pas être réservés le même jour.")
    page.get_by_label(f"{first:%d/%m/%Y} – Matin").uncheck()
    expect(live).not_to_contain_text("ne peuvent pas")
    page.get_by_label(f"{second:%d/%m/%Y} – Journée").check()
    page.get_by_role("button", name="Voir mes réservations à confirmer").click()
    expect(page.get_by_role("heading", name="Mes réservations à confirmer")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Confirmer mes réservations").click()

    # The confirmation: what was booked, each price, the total and the month's total; focus on the message.
    expect(page.get_by_role("heading", name="Vos réservations sont enregistrées")).to_be_visible()
    expect(page.locator("#confirmation")).to_be_focused()
    table = page.get_by_role("table")
    expect(table).to_contain_text(f"{first:%d/%m/%Y}")
    expect(table).to_contain_text("8,50 €")
    expect(table).to_contain_text("3,20 €")
    expect(table).to_contain_text("Réservé")
    expect(page.locator("#total")).to_have_text("20,20 €")
    expect(page.get_by_text(f"Vos réservations de {rules.month_label(month.year, month.month)} : 20,20 €")).to_be_visible()
    axe_check(page)
    assert Booking.objects.filter(child=child, state="reserved").count() == 3
    mail = OutboundEmail.objects.get(template="booking_recap", to=user.email)
    assert "8,50 €" in mail.body_text and "3,20 €" in mail.body_text and "20,20 €" in mail.body_text


def test_keyboard_books_two_days_in_few_tab_presses(page, live_server, browser_login, axe_check, leisure):
    """From the calendar, by keyboard alone: the skip link, two boxes, the recap, the confirmation."""
    user, child, enrolment, units, today = leisure
    month, _ = _expected(today)
    browser_login(page, user)
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/{month.year}/{month.month}/?modifier=1")
    presses = 0

    def tab_to(check, limit=60):
        nonlocal presses
        for _ in range(limit):
            page.keyboard.press("Tab")
            presses += 1
            if page.evaluate(check):
                return
        raise AssertionError(f"never reached: {check}")

    first, second = _wednesdays(month)[:2]
    tab_to("document.activeElement.textContent.trim() === 'Aller au calendrier'")
    page.keyboard.press("Enter")
    tab_to(f"document.activeElement.id === 'c-{first.isoformat()}-{units['day'].pk}'")
    page.keyboard.press("Space")
    tab_to(f"document.activeElement.id === 'c-{second.isoformat()}-{units['day'].pk}'")
    page.keyboard.press("Space")
    tab_to("document.activeElement.textContent.trim() === 'Voir mes réservations à confirmer'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/inscriptions/panier/(#.*)?$"))
    tab_to("document.activeElement.textContent.trim() === 'Confirmer mes réservations'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Vos réservations sont enregistrées")).to_be_visible()
    axe_check(page)
    assert sorted(Booking.objects.filter(child=child, state="reserved").values_list("date", flat=True)) == [first, second]
    # 113 before issue 20; now 27 on a desktop, 34 on a phone (its menu button and the basket's stacked rows).
    assert presses <= 40, presses


def test_child_month_is_a_list_of_days_on_a_phone(page, live_server, browser_login, axe_check, leisure, screen):
    user, child, enrolment, units, today = leisure
    month, _ = _expected(today)
    day = _wednesdays(month)[0]
    Booking.objects.create(child=child, unit=units["day"], date=day, enrolment=enrolment, state="reserved")
    browser_login(page, user)
    page.goto(f"{live_server.url}/inscriptions/enfant/{child.pk}/{month.year}/{month.month}/")
    entry = page.locator(".planning-days li.cal-day").filter(has_text=f"{day:%d/%m/%Y}")
    grid = page.get_by_role("table")
    if screen == "phone":
        expect(entry).to_contain_text("Mercredis au centre de loisirs – Journée : Réservé")
        expect(grid).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    else:
        expect(grid).to_be_visible()
        expect(entry).to_be_hidden()
    axe_check(page)
