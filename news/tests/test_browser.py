import pytest

from families.tests.factories import parent_with_family
from news.models import NewsPost

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_read_a_news_post(page, live_server, browser_login, axe_check):
    NewsPost.objects.create(title="Vacances d'hiver", body="Les réservations sont **ouvertes** du 05/01 au 04/02.")
    NewsPost.objects.create(title="Réservé aux familles", body="Texte", audience="families")
    page.goto(f"{live_server.url}/")
    assert page.get_by_text("Retrouvez les dernières nouveautés").is_visible()
    assert page.get_by_role("link", name="Réservé aux familles").count() == 0
    axe_check(page)
    user, _family = parent_with_family(children=1)
    browser_login(page, user)
    page.goto(f"{live_server.url}/actualites/")
    axe_check(page)
    page.get_by_role("link", name="Vacances d'hiver", exact=True).click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Vacances d'hiver").is_visible()
    assert page.locator("strong", has_text="ouvertes").is_visible()
    axe_check(page)
    page.goto(f"{live_server.url}/actualites/documents/")
    axe_check(page)
