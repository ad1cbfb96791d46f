import re

import pytest
from playwright.sync_api import expect

from families.tests.factories import parent_with_family

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_parent_logs_in_and_sees_dashboard(page, live_server, browser_login, axe_check):
    user, family = parent_with_family(children=1, email="Claire.Test@Example.org")
    page.goto(live_server.url + "/")
    axe_check(page)
    page.goto(f"{live_server.url}/compte/login/")
    axe_check(page)
    browser_login(page, user)
    assert family.number in page.content()
    axe_check(page)


def _open_account_menu(page, screen):
    """Open « Mon compte », on a phone once the collapsed navigation has finished opening (a click during
    Bootstrap's animation can be lost)."""
    if screen == "phone":
        page.get_by_role("button", name="Ouvrir le menu").click()
        expect(page.locator("#nav-principale")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.get_by_role("button", name="Mon compte").click()
    expect(page.get_by_role("button", name="Mon compte")).to_have_attribute("aria-expanded", "true")


def test_account_menu_changes_password_and_logs_out(page, live_server, browser_login, axe_check, screen):
    user, family = parent_with_family(children=1)
    browser_login(page, user)
    _open_account_menu(page, screen)
    axe_check(page)
    page.get_by_role("link", name="Changer mon mot de passe").click()
    page.wait_for_url("**/compte/password/change/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page)
    _open_account_menu(page, screen)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_role("link", name="Se connecter").first).to_be_visible()
    assert family.number not in page.content()
