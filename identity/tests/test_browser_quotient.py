"""Fetching the quotient familial in Chromium, at desktop and phone sizes, with axe-core on every page.
The portal calls its own API Particulier simulator over HTTP (the live server)."""
import re

import pytest
from playwright.sync_api import expect

from families.tests.factories import parent_with_family
from identity.api_particulier import SIMULATOR_PATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def simulator_online(settings, live_server):
    settings.API_PARTICULIER_BASE_URL = live_server.url + SIMULATOR_PATH


def _fill_identity(page, birth_name):
    page.get_by_label("Femme").check()
    page.get_by_label("Nom de naissance").fill(birth_name)
    page.get_by_label("Prénoms").fill("Claire Anne")
    page.get_by_label("Date de naissance").fill("1986-04-12")
    page.get_by_label("Code INSEE de la commune de naissance").fill("26362")
    page.get_by_label("J'accepte que le service interroge la CAF ou la MSA").check()
    page.get_by_role("button", name="Interroger la CAF ou la MSA").click()


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_fetch_a_quotient_then_see_it_in_the_dossier(page, live_server, browser_login, axe_check, simulator_online):
    user, family = parent_with_family(children=1, email="claire.quotient@example.org")
    browser_login(page, user)
    page.goto(f"{live_server.url}/famille/")
    page.get_by_role("link", name="Récupérer mon quotient auprès de la CAF/MSA").click()
    expect(page.get_by_role("heading", name="Récupérer mon quotient auprès de la CAF ou de la MSA")).to_be_visible()
    axe_check(page)
    _no_horizontal_scroll(page)
    button = page.get_by_role("button", name="Interroger la CAF ou la MSA").bounding_box()
    assert button["height"] >= 44

    _fill_identity(page, "Martin")
    expect(page.get_by_role("heading", name="Mon quotient familial")).to_be_visible()
    expect(page.get_by_text("742,00 €")).to_be_visible()
    expect(page.get_by_text("CAF (API Particulier)")).to_be_visible()
    expect(page.get_by_text("octobre 2026")).to_be_visible()
    expect(page.get_by_text("Claire Anne MARTIN, Julien MARTIN")).to_be_visible()
    expect(page.get_by_text("transmis au service, qui va le vérifier")).to_be_visible()
    axe_check(page)
    _no_horizontal_scroll(page)

    page.get_by_role("link", name="Retour à mon dossier").click()
    history = page.get_by_role("region", name="Historique du quotient familial")
    expect(history).to_contain_text("742,00 €")
    expect(history).to_contain_text("en attente de validation par le service")
    axe_check(page)


def test_unknown_allocataire_shows_the_api_error_in_french(page, live_server, browser_login, axe_check, simulator_online):
    user, _ = parent_with_family(children=1, email="paul.quotient@example.org")
    browser_login(page, user)
    page.goto(f"{live_server.url}/famille/quotient/")
    _fill_identity(page, "Lefebvre")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Aucun dossier allocataire ne correspond à ces informations, ni à la CAF ni à la MSA.")
    axe_check(page)
    _no_horizontal_scroll(page)
    alert.get_by_role("link", name="Déposer mon attestation").click()
    expect(page).to_have_url(re.compile("/famille/quotient/attestation/$"))
    expect(page.get_by_role("heading", name="Déposer mon attestation de quotient familial")).to_be_visible()
    axe_check(page)
