"""The opening morning in a browser (issue 17): « Rester connecté » on the login page, and the « salle
d'attente » when the booking pages are full: French, accessible, retrying by itself once a slot is free."""
import time

import pytest
from playwright.sync_api import expect

from families.tests.factories import PASSWORD, parent_with_family
from portal import waiting_room

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_stay_logged_in_for_30_days(page, live_server, axe_check, screen):
    user, family = parent_with_family(children=1)
    page.goto(f"{live_server.url}/compte/login/")
    remember = page.get_by_label("Rester connecté sur cet appareil (30 jours)")
    expect(remember).not_to_be_checked()
    expect(page.get_by_text("À ne pas cocher sur un ordinateur partagé.")).to_be_visible()
    axe_check(page)
    page.get_by_label("Courriel").fill(user.email)
    page.get_by_label("Mot de passe", exact=False).first.fill(PASSWORD)
    remember.check()
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()
    assert family.number in page.content()
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    assert 29 * 86400 < cookie["expires"] - time.time() <= 30 * 86400


def test_the_waiting_room_retries_by_itself_once_a_slot_is_free(page, live_server, browser_login, axe_check,
                                                                   screen, settings):
    user, family = parent_with_family(children=1)
    browser_login(page, user)
    settings.WAITING_ROOM_LIMIT = 1
    settings.WAITING_ROOM_RETRY_SECONDS = 2
    held = waiting_room.slot_acquire(limit=1, seconds=60)

    response = page.goto(f"{live_server.url}/inscriptions/")
    assert response.status == 503 and 2 <= int(response.headers["retry-after"]) <= 4
    expect(page.get_by_role("heading", name="Salle d'attente")).to_be_visible()
    expect(page.get_by_text("La page se rouvre toute seule dans")).to_be_visible()
    retry = page.get_by_role("link", name="Réessayer maintenant")
    expect(retry).to_have_attribute("href", "/inscriptions/")
    box = retry.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    _no_horizontal_scroll(page)
    axe_check(page)

    # The parent may stop the automatic retry; « Réessayer maintenant » still works.
    page.get_by_role("button", name="Ne plus réessayer tout seul").click()
    expect(page.get_by_role("status")).to_contain_text("Réessai automatique arrêté")
    page.wait_for_timeout(4500)
    expect(page.get_by_role("heading", name="Salle d'attente")).to_be_visible()

    # Automatic retry: still full, the page comes back; once the slot is free, the page is served.
    page.reload()
    expect(page.get_by_role("heading", name="Salle d'attente")).to_be_visible()
    waiting_room.slot_release(*held)
    expect(page.get_by_role("heading", name="Salle d'attente")).to_have_count(0, timeout=10000)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert waiting_room.slots_taken(limit=1) == 0
