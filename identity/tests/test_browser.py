"""FranceConnect and self-registration in Chromium, at desktop and phone sizes, with axe-core on every page."""
import datetime
import re

import pytest
from allauth.socialaccount.models import SocialAccount
from django.utils import timezone
from playwright.sync_api import expect

from enrolment import rules
from enrolment.models import Booking, OpeningPeriod
from enrolment.tests.factories import ActivityFactory, GroupFactory, UnitFactory, enrol
from families.models import Child
from families.tests.factories import PASSWORD, ChildFactory, FamilyFactory, GuardianFactory, StaffFactory
from identity.models import IdentitySettings, RegistrationRequest
from portal.models import OutboundEmail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _claire():
    family = FamilyFactory(name="MARTIN")
    guardian = GuardianFactory(family=family, first_name="Claire", last_name="MARTIN",
                               birth_date=datetime.date(1986, 4, 12), email="claire.martin@example.org")
    ChildFactory(family=family)
    return guardian


def _open_account_menu(page, screen):
    if screen == "phone":
        page.get_by_role("button", name="Ouvrir le menu").click()
        expect(page.locator("#nav-principale")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    page.get_by_role("button", name="Mon compte").click()
    expect(page.get_by_role("button", name="Mon compte")).to_have_attribute("aria-expanded", "true")


def _choose_identity(page, axe_check, label):
    expect(page.get_by_role("heading", name=re.compile("fournisseur local"))).to_be_visible()
    axe_check(page)
    page.get_by_label(label).check()
    page.get_by_role("button", name="Continuer vers le portail").click()


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_log_in_and_out_through_franceconnect(page, live_server, axe_check, screen):
    guardian = _claire()
    SocialAccount.objects.create(user=guardian.user, provider="franceconnect", uid="demo-claire-martin")
    page.goto(f"{live_server.url}/compte/login/")
    button = page.get_by_role("button", name="S’identifier avec FranceConnect")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["height"] >= 56 and box["width"] >= 245
    help_link = page.get_by_role("link", name="Qu’est-ce que FranceConnect ? (nouvelle fenêtre)")
    expect(help_link).to_have_attribute("target", "_blank")
    _no_horizontal_scroll(page)
    axe_check(page)
    button.click()
    _choose_identity(page, axe_check, "Claire MARTIN (parent d'une famille de démonstration)")
    expect(page.get_by_text(guardian.family.number)).to_be_visible()
    axe_check(page)
    _open_account_menu(page, screen)
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.get_by_text("Vous êtes déconnecté(e) du portail et de FranceConnect.")).to_be_visible()
    axe_check(page)


def test_link_refused_then_linked_then_unlinked(page, live_server, browser_login, axe_check, screen):
    guardian = _claire()
    browser_login(page, guardian.user)
    _open_account_menu(page, screen)
    page.get_by_role("link", name="FranceConnect").click()
    expect(page.get_by_role("heading", name="FranceConnect")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="S’identifier avec FranceConnect").click()
    _choose_identity(page, axe_check, "Claire MARTIN, née en 1971 (une homonyme)")
    expect(page.get_by_role("alert")).to_contain_text("FranceConnect n'a pas été lié")
    expect(page.get_by_role("alert")).to_contain_text("la date de naissance diffère")
    axe_check(page)
    assert not SocialAccount.objects.filter(user=guardian.user).exists()

    page.get_by_role("button", name="S’identifier avec FranceConnect").click()
    _choose_identity(page, axe_check, "Claire MARTIN (parent d'une famille de démonstration)")
    expect(page.get_by_text("FranceConnect est lié à votre compte")).to_be_visible()
    axe_check(page)
    assert SocialAccount.objects.filter(user=guardian.user, uid="demo-claire-martin").exists()

    page.get_by_role("button", name="Délier FranceConnect").click()
    expect(page.get_by_text("FranceConnect n'est plus lié à votre compte")).to_be_visible()
    axe_check(page)
    assert not SocialAccount.objects.filter(user=guardian.user).exists()


def test_sign_up_get_accepted_by_staff_then_book(page, live_server, staff_browser_login, axe_check, screen):
    IdentitySettings.objects.create(self_registration=True)
    staff = StaffFactory()
    page.goto(f"{live_server.url}/compte/login/")
    page.get_by_role("link", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Créer mon compte")).to_be_visible()
    expect(page.get_by_role("button", name="S’identifier avec FranceConnect")).to_be_visible()
    _no_horizontal_scroll(page)
    axe_check(page)
    page.get_by_label("Adresse e-mail").fill("nouvelle.famille@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.get_by_role("heading", name="Mon dossier famille")).to_be_visible()
    expect(page.get_by_text("Confirmez votre adresse e-mail")).to_be_visible()
    axe_check(page)

    # The confirmation link of the e-mail in the outbox.
    body = OutboundEmail.objects.filter(to="nouvelle.famille@example.org").latest("created_at").body_text
    link = re.search(r"https?://\S+/compte/confirm-email/\S+", body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", live_server.url, link))
    page.get_by_role("button", name=re.compile("Confirmer")).click()
    page.goto(f"{live_server.url}/identite/ma-demande/")

    guardian1 = page.get_by_role("group", name="Vous (responsable 1)")
    guardian1.get_by_label("Civilité").select_option("Mme")
    guardian1.get_by_label("Prénom").fill("Camille")
    guardian1.get_by_role("textbox", name=re.compile(r"^Nom")).fill("Durand")
    guardian1.get_by_label("Date de naissance").fill("1990-02-17")
    guardian1.get_by_label("Lien avec les enfants").select_option("mother")
    guardian1.get_by_label("Téléphone portable").fill("06 11 22 33 44")
    home = page.get_by_role("group", name="Adresse et allocations")
    home.get_by_label("Situation familiale").select_option("single")
    home.get_by_label("Adresse", exact=False).first.fill("3 rue Neuve")
    home.get_by_label("Code postal").fill("07100")
    home.get_by_label("Commune").fill("Annonay")
    home.get_by_label("N° allocataire CAF ou MSA").fill("1234567")
    child = page.get_by_role("group", name="Enfant 1", exact=True)
    child.get_by_label("Prénom").fill("Léo")
    child.get_by_role("textbox", name=re.compile(r"^Nom")).fill("Durand")
    child.get_by_label("Date de naissance").fill("2018-03-02")
    child.get_by_label("Sexe").select_option("M")
    _no_horizontal_scroll(page)
    axe_check(page)
    page.get_by_role("button", name="Envoyer ma demande au service").click()
    expect(page.get_by_text("Votre demande est envoyée au service")).to_be_visible()
    axe_check(page)
    page.goto(f"{live_server.url}/inscriptions/")
    expect(page.get_by_text("pas encore validé par le service")).to_be_visible()
    page.get_by_label("Votre message au service").fill("Léo entre en CP en septembre.")
    page.get_by_role("button", name="Envoyer mon message").click()
    expect(page.get_by_text("Léo entre en CP en septembre.")).to_be_visible()
    page.context.clear_cookies()

    # Staff accept the request in the admin.
    reg = RegistrationRequest.objects.get(user__email="nouvelle.famille@example.org")
    staff_browser_login(page, staff)
    page.goto(f"{live_server.url}/admin/identity/registrationrequest/{reg.pk}/change/")
    expect(page.get_by_text("Léo Durand, né(e) le 2018-03-02")).to_be_visible()
    page.get_by_role("button", name="Accepter : créer la famille").click()
    expect(page.get_by_text("Demande acceptée")).to_be_visible()
    page.context.clear_cookies()

    # The parent now has a family file and reaches the booking pages.
    page.goto(f"{live_server.url}/compte/login/")
    page.get_by_label("Courriel").fill("nouvelle.famille@example.org")
    page.get_by_label("Mot de passe", exact=False).first.fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.goto(f"{live_server.url}/inscriptions/planning/")
    expect(page).to_have_url(re.compile("/inscriptions/planning/"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    axe_check(page)
    page.goto(f"{live_server.url}/famille/")
    expect(page.get_by_text("DURAND").first).to_be_visible()

    # Staff enrol Léo on Wednesdays (as they validate any enrolment); the parent books the first Wednesday
    # that can still change, through the calendar, and gets the confirmation.
    enrolment, month, wednesday = _wednesdays_enrolment(reg)
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/{month.year}/{month.month}/?modifier=1")
    page.get_by_label(f"{wednesday:%d/%m/%Y} – Journée").check()
    page.get_by_role("button", name="Voir mes réservations à confirmer").click()
    page.get_by_role("button", name="Confirmer mes réservations").click()
    expect(page.get_by_role("heading", name="Vos réservations sont enregistrées")).to_be_visible()
    axe_check(page)
    assert Booking.objects.filter(child__first_name="Léo", date=wednesday, state="reserved").count() == 1


def _wednesdays_enrolment(reg):
    """A Wednesday activity open all year, Léo enrolled and validated; (enrolment, first month that can change,
    its first Wednesday)."""
    today = timezone.localdate(timezone.now(), rules.PARIS)
    start, end = today - datetime.timedelta(days=30), today + datetime.timedelta(days=200)
    activity = ActivityFactory(name="Mercredis", season_start=start, season_end=end, booking_rule="monthly",
                               deadline_day=20)
    OpeningPeriod.objects.create(activity=activity, start_date=start, end_date=end, wednesday=True,
                                 skip_school_holidays=False)
    group = GroupFactory(activity=activity, name="Élémentaire")
    UnitFactory(activity=activity, name="Journée", code="J", capacity=20, order=0)
    reg.refresh_from_db()
    child = Child.objects.get(family__guardians__user=reg.user, first_name="Léo")
    enrolment = enrol(child, activity, group)
    month = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    if today.day > 20:  # the deadline of next month (the 20th) has passed: the month after
        month = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    wednesday = month + datetime.timedelta(days=(2 - month.weekday()) % 7)
    return enrolment, month, wednesday
