"""Help, accessibility statement and site map in Chromium at desktop and phone size, with axe-core,
reached from the footer as a visitor and as a parent."""
import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_visitor_reads_help_statement_and_plan_from_the_footer(page, live_server, axe_check, screen):
    page.goto(f"{live_server.url}/compte/login/")
    footer = page.get_by_role("contentinfo")
    footer.get_by_role("link", name="Aide").click()
    page.get_by_role("heading", name="Aide", level=1).wait_for()
    axe_check(page)
    _no_sideways_scroll(page)
    page.get_by_role("link", name="Les dates limites").click()
    assert page.url.endswith("#delais")
    page.get_by_role("contentinfo").get_by_role("link", name="Accessibilité : non conforme").click()
    page.get_by_role("heading", name="Déclaration d'accessibilité", level=1).wait_for()
    assert page.get_by_role("heading", name="Voies de recours").is_visible()
    assert page.get_by_text("pages testées :").count() == 2
    axe_check(page)
    _no_sideways_scroll(page)
    page.get_by_role("contentinfo").get_by_role("link", name="Plan du site").click()
    page.get_by_role("heading", name="Plan du site", level=1).wait_for()
    axe_check(page)
    _no_sideways_scroll(page)


def test_parent_goes_from_the_plan_to_the_menus(page, live_server, browser_login, axe_check, parent, screen):
    browser_login(page, parent[0])
    page.goto(f"{live_server.url}/plan-du-site/")
    plan = page.get_by_role("region", name="Informations")
    plan.get_by_role("link", name="Menus de la restauration").click()
    page.get_by_role("heading", name="Menus de la restauration", level=1).wait_for()
    axe_check(page)
    page.goto(f"{live_server.url}/accessibilite/")
    assert page.get_by_role("link", name="messagerie du portail").is_visible()
    axe_check(page)
