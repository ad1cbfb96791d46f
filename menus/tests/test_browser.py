"""The menus page in Chromium, at desktop and phone size, with axe-core: a dish with the child's allergen
is pointed out by words and an icon, not by colour alone."""
import re

import pytest

from families.allergens import NAMES
from portal import caching
from portal.models import Organisation
from portal.templatetags.portal_text import de

from .factories import MONDAY, declare, site_with_child, week_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_menus_page_points_out_the_childs_allergen(page, live_server, browser_login, axe_check, parent, screen):
    user, family = parent
    child = family.children.first()
    declare(child, allergies="Fruits à coque", codes="nuts")
    site = site_with_child(child)
    week_menu(site)
    browser_login(page, user)
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Voir les menus de la semaine").click()
    page.get_by_role("heading", name="Menus de la restauration").wait_for()
    page.goto(f"{live_server.url}/menus/?semaine={MONDAY.isoformat()}")
    monday = page.get_by_role("region", name="Lundi 9 mars")
    cake = monday.get_by_role("listitem").filter(has_text="Gâteau aux amandes 0")
    assert re.search(rf"Attention {child.first_name} : contient fruits à coque", cake.inner_text())
    assert "⚠" in cake.inner_text()  # the icon, hidden from screen readers, with the words above
    assert cake.locator("[aria-hidden=true]").count() == 1
    assert "Allergènes : gluten, œufs, lait, fruits à coque" in cake.inner_text()
    other = monday.get_by_role("listitem").filter(has_text="Carottes râpées 0")
    assert "Attention" not in other.inner_text() and "Allergènes : moutarde" in other.inner_text()
    assert page.get_by_role("status").filter(has_text="4 plats contiennent un allergène déclaré").count() == 1
    axe_check(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for name in ("Semaine précédente", "Semaine suivante"):
        box = page.get_by_role("link", name=re.compile(name)).bounding_box()
        assert box["height"] >= 44
    page.get_by_role("link", name=re.compile("Semaine suivante")).click()
    page.get_by_text("Pas de menu publié pour cette semaine").wait_for()
    pdf = page.get_by_role("link", name=re.compile("Imprimer les menus de mars 2026"))
    response = page.request.get(live_server.url + pdf.get_attribute("href"))
    assert response.ok and response.headers["content-type"] == "application/pdf"


def test_parent_ticks_an_allergen_on_the_health_sheet_then_sees_it_on_the_menus(page, live_server, browser_login,
                                                                               axe_check, parent, screen):
    organisation = Organisation.current()
    organisation.policy_child = Organisation.ChangePolicy.DIRECT
    organisation.save()
    caching.reset()
    user, family = parent
    child = family.children.first()
    site = site_with_child(child)
    week_menu(site)
    browser_login(page, user)
    page.goto(f"{live_server.url}/famille/enfants/")
    page.get_by_role("link", name=f"Demander une modification de la fiche sanitaire {de(child.first_name)}").click()
    page.get_by_role("checkbox", name="Fruits à coque").wait_for()

    for name in NAMES.values():  # the 14 regulated allergens, each a labelled box
        assert page.get_by_role("checkbox", name=name, exact=True).count() == 1, name
    axe_check(page)
    page.get_by_role("checkbox", name="Fruits à coque").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/menus/?semaine={MONDAY.isoformat()}")
    assert page.get_by_text(f"Attention {child.first_name} : contient fruits à coque").count() == 4
    axe_check(page)
