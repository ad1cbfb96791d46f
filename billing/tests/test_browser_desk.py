"""Staff journeys of the family desk and the billing desk in Chromium, at desktop and phone size, with axe."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _staff_login(page, live_server, staff):
    from families.tests.factories import PASSWORD

    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", staff.username)
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state()


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_staff_finds_a_family_and_sees_its_balance(page, live_server, axe_check, staff_user, issued):
    family = issued.family
    _staff_login(page, live_server, staff_user)
    page.goto(f"{live_server.url}/admin/families/family/?q={family.number}")
    page.get_by_role("link", name="Voir la fiche famille").first.click()
    page.get_by_role("heading", name=f"Famille {family.name}").wait_for()
    axe_check(page)
    _no_horizontal_scroll(page)
    assert page.get_by_text("Solde du compte : 45,20 €").is_visible()
    page.get_by_role("link", name=issued.number, exact=True).click()
    page.wait_for_load_state()
    assert issued.number in page.title() or page.get_by_text(issued.number).first.is_visible()
