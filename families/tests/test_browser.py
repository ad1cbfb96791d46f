"""Parent journeys in Chromium, at desktop and phone sizes (the ``screen`` fixture), with axe-core on every page."""
import re

import pytest
from playwright.sync_api import expect

from families import services
from families.models import ChangeRequest, ChildHealth, Guardian
from families.tests.factories import (
    PASSWORD, AuthorisedPersonFactory, GuardianFactory, StaffFactory, VaccinationFactory, parent_with_family,
)
from portal.models import Organisation
from portal.tests.test_browser_phone import MEASURE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_menu_if_collapsed(page):
    toggler = page.get_by_role("button", name="Ouvrir le menu")
    if toggler.is_visible():
        toggler.click()


def test_request_an_address_change_and_follow_it(page, live_server, browser_login, axe_check):
    user, family = parent_with_family(children=1, email="claire.navigateur@example.org")
    browser_login(page, user)

    open_menu_if_collapsed(page)
    page.get_by_role("link", name="Mon dossier").first.click()
    expect(page.get_by_role("heading", name="Mon dossier")).to_be_visible()
    expect(page.get_by_text(family.number)).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="Demander une modification des informations famille").click()
    expect(page.get_by_role("heading", name="Modifier les informations du foyer")).to_be_visible()
    expect(page.get_by_role("textbox", name="Adresse*", exact=True)).to_have_value("12 rue des Écoles")
    axe_check(page)
    page.get_by_role("textbox", name="Adresse*", exact=True).fill("3 place de la Liberté")
    page.get_by_label("Code postal").fill("07100")
    page.get_by_label("Commune").fill("Annonay")
    page.get_by_role("button", name="Envoyer la demande").click()

    expect(page.get_by_text("Votre demande a été transmise au service")).to_be_visible()
    expect(page.get_by_text("Une demande de modification est en attente de validation.")).to_be_visible()
    axe_check(page)

    page.get_by_role("link", name="Mes demandes").first.click()
    expect(page.get_by_role("heading", name="Mes demandes")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Commune"))
    expect(row).to_contain_text("Peaugres")
    expect(row).to_contain_text("Annonay")
    expect(page.get_by_text("En attente").first).to_be_visible()
    axe_check(page)
    assert ChangeRequest.objects.get(family=family).changes["city"]["new"] == "Annonay"


def test_children_sheet_and_forgotten_password_pages(page, live_server, browser_login, axe_check):
    page.goto(f"{live_server.url}/compte/login/")
    page.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(page).to_have_url(re.compile("/compte/password/reset/"))
    axe_check(page)

    user, family = parent_with_family(children=2, email="paul.navigateur@example.org")
    browser_login(page, user)
    page.goto(f"{live_server.url}/famille/enfants/")
    expect(page.get_by_role("heading", name="Mes enfants", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Fiche sanitaire").first).to_be_visible()
    axe_check(page)
    page.goto(f"{live_server.url}/compte/password/change/")
    axe_check(page)


def test_staff_accepts_a_change_request_in_the_admin(page, live_server, axe_check):
    user, family = parent_with_family(children=1, email="parent.admin@example.org")
    cr = services.change_request_create(family=family, user=user, kind="family", data={"city": "Annonay"})
    staff = StaffFactory(email="agent.navigateur@mairie.example.org")
    page.goto(f"{live_server.url}/compte/login/")
    page.get_by_label("Courriel").fill(staff.email)
    page.get_by_label("Mot de passe", exact=False).first.fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()
    assert "/admin/" in page.url
    page.goto(f"{live_server.url}/admin/families/changerequest/{cr.pk}/change/")
    expect(page.get_by_text("Peaugres")).to_be_visible()
    axe_check(page, context="fieldset")
    page.get_by_role("button", name="Accepter et appliquer").click()
    expect(page.get_by_text("Demande acceptée et appliquée")).to_be_visible()
    cr.refresh_from_db()
    family.refresh_from_db()
    assert cr.status == ChangeRequest.Status.ACCEPTED and family.city == "Annonay"


def test_guardian_edit_with_a_malformed_stored_phone(page, live_server, browser_login, axe_check):
    """A twelve-digit number stored before the check existed blocks nothing the parent did not touch; a
    changed number is still checked, with the error summary."""

    user, family = parent_with_family(children=1)
    guardian = user.guardian
    type(guardian).objects.filter(pk=guardian.pk).update(mobile_phone="061234567890")  # as imported
    browser_login(page, user)
    page.goto(f"{live_server.url}/famille/modifier/responsable/{guardian.pk}/")
    expect(page.get_by_label("Profession", exact=True)).to_be_visible()
    axe_check(page)
    page.get_by_label("Profession", exact=True).fill("Infirmière")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_text("Votre demande a été transmise au service")).to_be_visible()
    axe_check(page)
    assert ChangeRequest.objects.get(family=family).changes["profession"]["new"] == "Infirmière"
    assert "mobile_phone" not in ChangeRequest.objects.get(family=family).changes

    # A number the parent types is checked: the summary takes the focus and links to the field.
    page.goto(f"{live_server.url}/famille/modifier/responsable/{guardian.pk}/")
    page.get_by_label("Téléphone professionnel").fill("12")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("Numéro de téléphone invalide")
    axe_check(page)


def _fits_the_screen(page):
    """No horizontal scroll (390 px on a phone)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _tap_targets_are_big_enough(page, screen, locator):
    if screen != "phone":
        return
    for i in range(locator.count()):
        box = locator.nth(i).bounding_box()
        assert box and box["height"] >= 44, (locator.nth(i).inner_text(), box)


def test_separated_parent_gives_an_own_address(page, live_server, browser_login, axe_check, screen):
    org = Organisation.current()
    org.policy_guardian = Organisation.ChangePolicy.DIRECT
    org.save()
    user, family = parent_with_family(children=1, email="parent.separe@example.org")
    guardian = user.guardian
    browser_login(page, user)
    page.goto(f"{live_server.url}/famille/")
    expect(page.get_by_text("Même adresse que la famille")).to_be_visible()
    page.get_by_role("link", name=re.compile(f"Demander une modification des coordonnées .*{guardian.first_name}")).click()
    expect(page.get_by_role("radio", name="Même adresse que la famille")).to_be_checked()
    # The own address is hidden (to screen readers too) while the family's address is theirs.
    own_address = [page.get_by_label("Adresse", exact=True), page.get_by_label("Complément d'adresse"),
                   page.get_by_label("Code postal"), page.get_by_label("Commune"),
                   page.get_by_label(re.compile("Téléphone du domicile"))]
    for field in own_address:
        expect(field).to_be_hidden()
    expect(page.get_by_role("textbox", name="Commune")).to_have_count(0)
    axe_check(page)
    _fits_the_screen(page)

    # « Une autre adresse » shows them; going back hides them and keeps what was typed.
    page.get_by_role("radio", name=re.compile("Une autre adresse")).check()
    for field in own_address:
        expect(field).to_be_visible()
    axe_check(page)
    _fits_the_screen(page)
    page.get_by_label("Adresse", exact=True).fill("8 chemin des Vignes")
    page.get_by_role("radio", name="Même adresse que la famille").check()
    expect(page.get_by_label("Adresse", exact=True)).to_be_hidden()
    page.get_by_role("radio", name=re.compile("Une autre adresse")).check()
    expect(page.get_by_label("Adresse", exact=True)).to_have_value("8 chemin des Vignes")

    # An own address without its town: a French message, the typed text kept, the fields shown.
    page.get_by_label("Code postal").fill("7430")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".error-summary")).to_contain_text("Le code postal doit comporter 5 chiffres.")
    expect(page.locator(".error-summary")).to_contain_text("Indiquez la commune.")
    expect(page.get_by_label("Adresse", exact=True)).to_have_value("8 chemin des Vignes")
    for field in own_address:
        expect(field).to_be_visible()
    page.locator(".error-summary").get_by_role("link", name=re.compile("Commune")).click()
    expect(page.get_by_label("Commune")).to_be_focused()
    axe_check(page)

    page.get_by_label("Code postal").fill("07430")
    page.get_by_label("Commune").fill("Davézieux")
    page.get_by_label(re.compile("Téléphone du domicile")).fill("0475223344")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Vos modifications sont enregistrées.")).to_be_visible()
    expect(page.get_by_text("8 chemin des Vignes")).to_be_visible()
    expect(page.get_by_text("04 75 22 33 44")).to_be_visible()
    axe_check(page)
    _fits_the_screen(page)
    guardian = Guardian.objects.get(pk=guardian.pk)
    assert guardian.postal_address_lines == ["8 chemin des Vignes", "07430 Davézieux"]

    # Back on the form: « Une autre adresse » is ticked, so the address is shown with its values.
    page.get_by_role("link", name=re.compile(f"Demander une modification des coordonnées .*{guardian.first_name}")).click()
    expect(page.get_by_role("radio", name=re.compile("Une autre adresse"))).to_be_checked()
    expect(page.get_by_label("Commune")).to_have_value("Davézieux")
    axe_check(page)


def test_own_address_fields_show_without_javascript(browser, browser_context_args, live_server):
    """Progressive enhancement: without the script the own address is there to fill."""

    org = Organisation.current()
    org.policy_guardian = Organisation.ChangePolicy.DIRECT
    org.save()
    user, family = parent_with_family(children=1, email="parent.sans.js@example.org")
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/compte/login/")
        page.get_by_label("Courriel").fill(user.email)
        page.get_by_label("Mot de passe", exact=False).first.fill(PASSWORD)
        page.get_by_role("button", name="Connexion").click()
        page.goto(f"{live_server.url}/famille/modifier/responsable/{user.guardian.pk}/")
        expect(page.get_by_role("radio", name="Même adresse que la famille")).to_be_checked()
        expect(page.get_by_label("Adresse", exact=True)).to_be_visible()
        page.get_by_role("radio", name=re.compile("Une autre adresse")).check()
        page.get_by_label("Adresse", exact=True).fill("8 chemin des Vignes")
        page.get_by_label("Code postal").fill("07430")
        page.get_by_label("Commune").fill("Davézieux")
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.get_by_text("Vos modifications sont enregistrées.")).to_be_visible()
    finally:
        context.close()
    assert Guardian.objects.get(pk=user.guardian.pk).postal_address_lines == ["8 chemin des Vignes", "07430 Davézieux"]


def test_parent_adds_a_vaccine_date(page, live_server, browser_login, axe_check, screen):
    user, family = parent_with_family(children=1, email="parent.vaccins@example.org")
    child = family.children.get()
    VaccinationFactory(child=child, vaccine="DTPolio")
    browser_login(page, user)
    page.goto(f"{live_server.url}/famille/enfants/")
    _tap_targets_are_big_enough(page, screen, page.get_by_role("link", name=re.compile("vaccin")))
    page.get_by_role("link", name=f"Ajouter un vaccin pour {child.first_name}").click()
    expect(page.get_by_role("heading", name=f"Ajouter un vaccin pour {child.first_name}")).to_be_visible()
    axe_check(page)
    _fits_the_screen(page)

    page.get_by_label("Vaccin", exact=False).first.fill("ROR (rougeole, oreillons, rubéole)")
    page.get_by_label("Date de l'injection").fill("2017-01-01")  # before the birth (14/05/2018)
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.locator(".error-summary")).to_contain_text("ne peut pas précéder la naissance")
    axe_check(page)
    page.get_by_label("Date de l'injection").fill("2019-05-20")
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_text("Votre demande a été transmise au service")).to_be_visible()
    expect(page.get_by_text("1 demande en attente de réponse du service")).to_be_visible()
    axe_check(page)
    cr = ChangeRequest.objects.get(family=family)
    assert cr.kind == "vaccine" and cr.changes["vaccine"]["new"] == "ROR (rougeole, oreillons, rubéole)"
    assert cr.changes["date"]["new"] == "2019-05-20"

    # A vaccine entered by mistake: its removal is asked for, after a confirmation.
    page.get_by_role("link", name=re.compile("Supprimer le vaccin DTPolio")).click()
    expect(page.get_by_role("heading", name=re.compile("Supprimer le vaccin DTPolio"))).to_be_visible()
    axe_check(page)
    _fits_the_screen(page)
    page.get_by_role("button", name="Demander la suppression").click()
    expect(page.get_by_text("2 demandes en attente de réponse du service")).to_be_visible()
    assert ChangeRequest.objects.filter(family=family, deletion=True).count() == 1


def test_parent_ticks_mdph_on_the_health_sheet(page, live_server, browser_login, axe_check, screen):
    org = Organisation.current()
    org.policy_child = Organisation.ChangePolicy.DIRECT
    org.save()
    user, family = parent_with_family(children=1, email="parent.mdph@example.org")
    child = family.children.get()
    browser_login(page, user)
    page.goto(f"{live_server.url}/famille/enfants/{child.pk}/sante/")
    axe_check(page)
    _fits_the_screen(page)
    page.get_by_label("Situation de handicap reconnue (MDPH)").check()
    page.get_by_label("Aménagements souhaités").fill("Accompagnante (AESH) le midi")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Vos modifications sont enregistrées.")).to_be_visible()
    expect(page.get_by_text("Accompagnante (AESH) le midi")).to_be_visible()
    axe_check(page)
    health = ChildHealth.objects.get(child=child)
    assert health.disability and health.accommodations == "Accompagnante (AESH) le midi"


def test_every_button_of_the_family_pages_is_a_44px_target(page, live_server, browser_login, axe_check, screen):
    """« Mes enfants » and « Mon dossier » at 390 px: every button and link-button (« Modifier » a person,
    « Demander une modification », « Ajouter… ») is at least 44 px tall; at both sizes, axe and no sideways
    scroll."""

    user, family = parent_with_family(children=2, email="parent.cibles@example.org")
    GuardianFactory(family=family, rank=2, email="conjoint.cibles@example.org")
    for child in family.children.all():
        VaccinationFactory(child=child)
        AuthorisedPersonFactory(child=child)
        AuthorisedPersonFactory(child=child, first_name="Marcel", relationship="Voisin")
    browser_login(page, user)
    for path, heading, actions in (
        # per child: 2 « Demander une modification », 2 « Ajouter », the vaccine's 2, each person's « Modifier »
        ("/famille/enfants/", "Mes enfants", 2 * (2 + 2 + 2 + 2)),
        ("/famille/", "Mon dossier", 1 + 2),  # the family, each guardian
    ):
        page.goto(live_server.url + path)
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        links = page.get_by_role("main").get_by_role(
            "link", name=re.compile("^(Modifier|Supprimer|Ajouter|Demander une modification)"))
        assert links.count() == actions, (path, links.all_inner_texts())
        axe_check(page)
        _fits_the_screen(page)
        if screen == "phone":
            _tap_targets_are_big_enough(page, screen, links)
            assert page.get_by_role("main").locator("a.btn, button").count() >= actions
            got = page.evaluate(MEASURE)
            assert not got["bad"], (path, got["bad"])
