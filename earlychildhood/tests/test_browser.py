"""The crèche journeys in Chromium at desktop and phone sizes, with axe on every page: a parent pre-enrols
an expected baby; staff hold a commission and offer a place; the parent accepts it and gets a contract;
staff record times and invoice a month with one extra half-hour and one deducted day."""
import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from earlychildhood.models import ChildcareContract, Deduction, PreEnrolment

from .factories import nursery_make, pre_make, session_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _tap_targets(page):
    """Buttons, fields and check rows of the page are at least 44 px high."""
    small = page.evaluate("""() => [...document.querySelectorAll(
        '.ec-page button, .ec-page a.btn, .ec-page select, .ec-page .form-check, ' +
        '.ec-page input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]
        .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
        .map(e => e.outerHTML.slice(0, 80))""")
    assert not small, small


def test_parent_pre_enrols_an_expected_baby(page, live_server, browser_login, axe_check, parent, screen):
    user, family = parent
    nursery_make()
    today = timezone.localdate()
    browser_login(page, user)
    page.goto(f"{live_server.url}/inscriptions/")
    axe_check(page)
    page.get_by_role("link", name="Demander une place en crèche").click()
    page.get_by_role("heading", name="Demander une place en crèche").wait_for()
    axe_check(page)
    _no_horizontal_scroll(page)
    _tap_targets(page)
    page.get_by_label("Enfant", exact=True).select_option(label="Un enfant à naître")
    page.get_by_label("Naissance prévue le").fill((today + datetime.timedelta(days=50)).isoformat())
    page.get_by_label("Prénom envisagé (facultatif)").fill("Camille")
    page.get_by_label("Date d'entrée souhaitée").fill((today + datetime.timedelta(days=150)).isoformat())
    page.get_by_label("Lundi", exact=True).check()
    page.get_by_label("Lundi : arrivée").fill("08:30")
    page.get_by_label("Lundi : départ").fill("17:30")
    page.get_by_label("Crèche – 1er choix").select_option(label="Multi-accueil Les Petits Loups")
    page.get_by_label("Parent seul (25 points)").check()
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_text("Votre demande de place en crèche est enregistrée.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Préinscription en attente – Camille"))).to_be_visible()
    axe_check(page)
    _tap_targets(page)
    page.goto(f"{live_server.url}/inscriptions/")
    expect(page.get_by_text("Préinscription en attente").first).to_be_visible()
    axe_check(page)
    pre = PreEnrolment.objects.get(family=family)
    assert pre.child is None and pre.schedule == {"0": ["08:30", "17:30"]}


def test_commission_offer_acceptance_contract_and_invoiced_month(page, live_server, browser_login, axe_check, parent,
                                                                 staff_user, screen):
    user, family = parent
    nursery, section = nursery_make()
    today = timezone.localdate()
    start = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)  # the previous month
    pre = pre_make(family, nursery, criteria=["working"], resources="2500")
    session, spot = session_make(section, places=1, start=start)

    # Staff: the commission offers the place, then is held (decisions e-mailed).
    browser_login(page, staff_user)
    page.goto(f"{live_server.url}/personnel/petite-enfance/commission/{session.pk}/")
    expect(page.get_by_text("Parents qui travaillent ou suivent une formation : 30 points")).to_be_visible()
    axe_check(page)
    page.get_by_label(f"Décision (demande {pre.pk})").select_option(label="Place proposée")
    page.get_by_label(f"Place proposée (demande {pre.pk})").select_option(index=1)
    page.get_by_role("button", name=f"Enregistrer (demande {pre.pk})").click()
    expect(page.get_by_text(f"Décision enregistrée pour la demande n° {pre.pk}.")).to_be_visible()
    page.get_by_role("button", name="Clore la commission et envoyer les décisions").click()
    expect(page.get_by_text("Commission close : 1 décision(s) envoyée(s) aux familles.")).to_be_visible()
    axe_check(page)
    page.context.clear_cookies()

    # The parent accepts the place: the contract shows the rate and how it is worked out.
    browser_login(page, user)
    page.goto(f"{live_server.url}/petite-enfance/")
    page.get_by_role("link", name="Répondre à la proposition").click()
    axe_check(page)
    page.get_by_role("button", name="Accepter la place").click()
    expect(page.get_by_text("Place acceptée : votre contrat d'accueil est établi.")).to_be_visible()
    expect(page.get_by_text("Tarif horaire : 2 500,00 € × 0,0619 % = 1,55 €")).to_be_visible()
    axe_check(page)
    _no_horizontal_scroll(page)
    _tap_targets(page)
    contract = ChildcareContract.objects.get(family=family)
    page.context.clear_cookies()

    # Staff: arrival and departure on the month's first Monday, one hospitalisation day, then invoicing.
    monday = start + datetime.timedelta(days=(7 - start.weekday()) % 7)
    Deduction.objects.create(contract=contract, kind="hospital", start=monday + datetime.timedelta(days=7),
                             end=monday + datetime.timedelta(days=7))
    browser_login(page, staff_user)
    page.goto(f"{live_server.url}/personnel/petite-enfance/presences/?nursery={nursery.pk}&date={monday.isoformat()}")
    axe_check(page)
    name = contract.child_name
    page.get_by_label(f"Arrivée de {name}").fill("08:00")
    page.get_by_label(f"Départ de {name}").fill("17:20")
    page.get_by_role("button", name=f"Enregistrer ({name})").click()
    expect(page.get_by_text(f"Horaires de {name} enregistrés.")).to_be_visible()
    page.goto(f"{live_server.url}/personnel/petite-enfance/facturation/")
    page.get_by_label("Crèche").select_option(label=nursery.name)
    page.get_by_label("Mois (n'importe quel jour du mois)").fill(start.isoformat())
    page.get_by_role("button", name="Facturer le mois").click()
    expect(page.get_by_text("1 facture(s) émise(s) ; 0 contrat(s) déjà facturé(s).")).to_be_visible()
    axe_check(page)
    statement = contract.statements.get()
    assert statement.extra_half_hours == 1 and statement.deducted_hours == 9
    lines = list(statement.invoice.lines.order_by("pk").values_list("unit_name", "quantity", "amount"))
    assert [line[0] for line in lines] == ["Mensualisation du contrat",
                                           "Heures complémentaires (par demi-heure commencée)",
                                           "Déduction : Hospitalisation de l'enfant"]
    assert lines[1][1] == 1 and str(lines[2][2]) == "-13.95"
    page.context.clear_cookies()

    # The parent sees the month's detail on the contract.
    browser_login(page, user)
    page.goto(f"{live_server.url}/petite-enfance/contrat/{contract.pk}/")
    expect(page.get_by_text("1 demi-heure(s) : 0,78 €")).to_be_visible()
    expect(page.get_by_text(statement.invoice.number)).to_be_visible()
    axe_check(page)
