"""The fortnight (« Quinzaine ») as a parent uses it (issue 20), in Chromium at phone and desktop sizes with
axe: opening on the first fortnight that can change, booking a day from it, and the legend with an absence
whose certificate is being examined."""
import datetime
import re

import pytest
from playwright.sync_api import expect

from enrolment import rules
from enrolment.models import Booking

from .test_browser_booking import _expected, _wednesdays, leisure  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Horizontal overflow, and the boxes (with their labels) and the switcher's links shorter than 44 px.
MEASURE = """() => {
  const small = [];
  for (const el of document.querySelectorAll('input[name=case], .cal-views a')) {
    let h = el.getBoundingClientRect().height;
    for (const label of (el.labels || [])) h = Math.max(h, label.getBoundingClientRect().height);
    if (h < 43.5) small.push(`${el.id || el.textContent} ${h.toFixed(1)} px`);
  }
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, small: small};
}"""


def _long(day):
    """« mercredi 06/01/2027 »."""
    return f"{rules.WEEKDAYS_FR[day.weekday()]} {day:%d/%m/%Y}"


def _fits(page, screen):
    """No sideways scroll; on a phone, 44 px targets (as every parent page, portal/tests/test_browser_phone.py)."""
    got = page.evaluate(MEASURE)
    assert got["scroll"] <= got["inner"], got
    if screen == "phone":
        assert not got["small"], got["small"]


def test_book_a_day_from_the_fortnight(page, live_server, browser_login, axe_check, leisure, screen):  # noqa: F811
    user, child, enrolment, units, today = leisure
    month, _ = _expected(today)
    first, second = _wednesdays(month)[:2]
    monday = first - datetime.timedelta(days=first.weekday())
    browser_login(page, user)

    # From the month, the switcher opens the fortnight of the first day that can change.
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/{month.year}/{month.month}/")
    switch = page.get_by_role("navigation", name="Affichage du calendrier")
    expect(switch.get_by_role("link", name="Mois")).to_have_attribute("aria-current", "page")
    switch.get_by_role("link", name="Quinzaine").click()
    page.wait_for_url(re.compile(rf"/quinzaine/{monday.year}/{monday.month}/{monday.day}/$"))
    expect(page.get_by_role("navigation", name="Affichage du calendrier").get_by_role(
        "link", name="Quinzaine")).to_have_attribute("aria-current", "page")
    end = monday + datetime.timedelta(days=13)
    expect(page.get_by_role("heading", name=f"Quinzaine du {monday:%d/%m/%Y} au {end:%d/%m/%Y}")).to_be_visible()
    expect(page.get_by_role("heading", level=3)).to_have_count(14)
    expect(page.get_by_text("Légende des symboles")).to_be_visible()
    _fits(page, screen)
    axe_check(page)

    # « Modifier »: the month's boxes for the fortnight's days, the rules checked as boxes change.
    page.get_by_role("link", name="Modifier", exact=True).click()
    box = page.get_by_label(f"{first:%d/%m/%Y} – Journée")
    box.check()
    expect(box).to_have_accessible_name(re.compile("sera réservé"))
    page.get_by_label(f"{first:%d/%m/%Y} – Repas").check()
    page.get_by_label(f"{first:%d/%m/%Y} – Matin").check()
    expect(page.locator("#regles-live")).to_contain_text("« Journée » et « Matin » ne peuvent pas être réservés")
    page.get_by_label(f"{first:%d/%m/%Y} – Matin").uncheck()
    expect(page.locator("#regles-live")).not_to_contain_text("ne peuvent pas")
    expect(page.get_by_label(f"{second:%d/%m/%Y} – Journée")).not_to_be_checked()
    _fits(page, screen)
    axe_check(page)
    page.get_by_role("button", name="Voir mes réservations à confirmer").click()
    expect(page.get_by_role("heading", name="Mes réservations à confirmer")).to_be_visible()
    page.get_by_role("button", name="Confirmer mes réservations").click()
    expect(page.get_by_role("heading", name="Vos réservations sont enregistrées")).to_be_visible()
    assert sorted(Booking.objects.filter(child=child, state="reserved").values_list("unit__name", flat=True)) == [
        "Journée", "Repas"]

    # Back on the fortnight, the day reads as booked, with its absence link.
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/quinzaine/")
    page.wait_for_url(re.compile(rf"/quinzaine/{monday.year}/{monday.month}/{monday.day}/$"))
    expect(page.get_by_text("Journée : Réservé")).to_be_visible()
    expect(page.get_by_role("link", name=f"Déclarer une absence – {_long(first)} – Journée")).to_be_visible()
    page.get_by_role("link", name=re.compile("Quinzaine suivante")).click()
    later = monday + datetime.timedelta(days=14)
    expect(page.get_by_role("heading", name=f"Quinzaine du {later:%d/%m/%Y} au "
                                             f"{later + datetime.timedelta(days=13):%d/%m/%Y}")).to_be_visible()
    _fits(page, screen)
    axe_check(page)


def test_legend_and_a_day_with_an_absence_being_examined(page, live_server, browser_login, axe_check,
                                                         leisure, screen):  # noqa: F811
    user, child, enrolment, units, today = leisure
    month, _ = _expected(today)
    first = _wednesdays(month)[0]
    Booking.objects.create(child=child, unit=units["day"], date=first, enrolment=enrolment,
                           state=Booking.State.ABSENT_BILLED, excuse=Booking.Excuse.REQUESTED,
                           absence_reason="Malade")
    browser_login(page, user)
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/quinzaine/{first.year}/{first.month}/{first.day}/")
    day = page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=_long(first).capitalize()))
    expect(day.get_by_text("Journée : Absence : justificatif en cours d'examen")).to_be_visible()
    legend = page.locator("details").filter(has_text="Légende des symboles")
    for words in ("Absence : justificatif en cours d'examen", "Demande en attente de réponse du service",
                  "Demande refusée par le service", "Réservation hors contrat"):
        expect(legend.get_by_text(re.compile(words))).to_be_visible()
    _fits(page, screen)
    axe_check(page)
    # The child's month says it too: in words for screen readers in the grid, written out on phones.
    page.goto(f"{live_server.url}/inscriptions/enfant/{child.pk}/{month.year}/{month.month}/")
    expect(page.get_by_text(re.compile("Journée : Absence : justificatif en cours d'examen|"
                                       "^Absence : justificatif en cours d'examen$")).locator("visible=true").first
           ).to_be_attached()
    axe_check(page)
