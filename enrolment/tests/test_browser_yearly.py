"""The yearly set-up in Chromium, at desktop and phone sizes, with axe on every page: a season duplicated then
booked by a parent; the move-up previewed then applied."""
import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Tariff
from enrolment import rules
from enrolment.models import Activity, Booking, Enrolment, OpeningPeriod
from families.models import Child
from families.tests.factories import ChildFactory, FamilyFactory, parent_with_family

from .factories import ActivityFactory, GroupFactory, UnitFactory, enrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    """No horizontal scroll (390 px on the phone)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_season_duplicated_then_booked_by_a_parent(page, live_server, browser_login, axe_check, staff_user, screen):
    today = timezone.localdate(timezone.now(), rules.PARIS)
    start = datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    end = datetime.date(start.year + 1, 7, 3)
    label = rules.school_year_label(start.year)
    activity = ActivityFactory(name=f"{label} - CL Mercredis", season_start=start, season_end=end,
                               auto_validate=True, booking_rule="notice", notice_days=2,
                               activity_type__structure__name="Accueil de loisirs Les Castors",
                               activity_type__name="Centre de loisirs")
    OpeningPeriod.objects.create(activity=activity, start_date=start, end_date=end, wednesday=True,
                                 skip_school_holidays=False)
    GroupFactory(activity=activity, name="Élémentaire", school_stage="elementaire")
    unit = UnitFactory(activity=activity, name="Journée", code="CLJ", capacity=24)
    Tariff.objects.create(unit=unit, label="JOURNÉE", mode="flat", flat_price=Decimal("8.50"), valid_from=start)

    # Staff: choose the activity, read the preview, confirm.
    browser_login(page, staff_user)
    page.goto(f"{live_server.url}/personnel/inscriptions/saison-suivante/")
    axe_check(page)
    page.get_by_label(re.compile(re.escape(activity.name))).check()
    page.get_by_role("button", name="Voir l'aperçu").click()
    new_name = f"{rules.school_year_label(start.year + 1)} - CL Mercredis"
    expect(page.get_by_role("heading", name=f"{activity.name} → {new_name}")).to_be_visible()
    new_start = rules.shift_year(start)
    expect(page.get_by_text(f"du {new_start:%d/%m/%Y} au {rules.shift_year(end):%d/%m/%Y}").first).to_be_visible()
    expect(page.get_by_text("JOURNÉE – 8,50 €")).to_be_visible()
    axe_check(page)
    _fits(page)
    page.get_by_role("button", name=re.compile("Créer la saison suivante")).click()
    expect(page.get_by_text(re.compile(r"1 activité\(s\) créée\(s\) pour la saison suivante"))).to_be_visible()
    new = Activity.objects.get(previous_season=activity)
    assert new.name == new_name and Tariff.objects.filter(unit__activity=new).count() == 1

    # A parent enrols in the new season through the usual steps, then books its first Wednesday.
    page.context.clear_cookies()
    user, family = parent_with_family(children=1)
    child = family.children.get()
    browser_login(page, user)
    page.goto(f"{live_server.url}/inscriptions/demande/")
    page.get_by_label(child.first_name).check()
    page.get_by_label("Activité", exact=True).select_option(label=new_name)
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_label("Élémentaire")).to_be_checked()
    page.get_by_role("button", name="Envoyer la demande d'inscription").click()
    expect(page.get_by_text("validée").first).to_be_visible()
    enrolment = Enrolment.objects.get(child=child, activity=new, status="validated")

    wednesday = new_start + datetime.timedelta(days=(2 - new_start.weekday()) % 7)
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/{wednesday.year}/{wednesday.month}/"
              "?modifier=1")
    axe_check(page)
    page.get_by_label(f"mercredi {wednesday:%d/%m/%Y} – Journée").check()
    page.get_by_role("button", name="Voir mes réservations à confirmer").click()
    axe_check(page)
    page.get_by_role("button", name="Confirmer mes réservations").click()
    expect(page.get_by_role("heading", name="Vos réservations sont enregistrées")).to_be_visible()
    expect(page.locator("#total")).to_have_text("8,50 €")
    booking = Booking.objects.get(child=child)
    assert (booking.date, booking.unit.activity, booking.state) == (wednesday, new, "reserved")


def test_move_up_preview_then_apply(page, live_server, browser_login, axe_check, staff_user, screen):
    today = timezone.localdate(timezone.now(), rules.PARIS)
    year = rules.school_year_of(today)
    activity = ActivityFactory(name=f"{rules.school_year_label(year)} - Mercredis",
                               season_start=datetime.date(year, 9, 1), season_end=datetime.date(year + 1, 7, 3))
    maternelle = GroupFactory(activity=activity, name="Maternelle", school_stage="maternelle")
    elementaire = GroupFactory(activity=activity, name="Élémentaire", school_stage="elementaire")
    family = FamilyFactory()
    lea = ChildFactory(family=family, first_name="Léa", last_name="Moreau", school_level="GS",
                       birth_date=datetime.date(year - 5, 3, 1))
    ChildFactory(family=family, first_name="Hugo", last_name="Moreau", school_level="CM2",
                 birth_date=datetime.date(year - 10, 3, 1))
    ChildFactory(family=family, first_name="Inès", last_name="Moreau", school_level="CE1",
                 birth_date=datetime.date(year - 7, 3, 1))
    enrolment = enrol(lea, activity, maternelle)

    browser_login(page, staff_user)
    page.goto(f"{live_server.url}/personnel/inscriptions/passage-de-classe/?annee={year}")
    label = rules.school_year_label(year)
    expect(page.get_by_role("heading", name=f"Passage de classe {label}")).to_be_visible()
    expect(page.get_by_role("heading", name="Changements d'école (2)")).to_be_visible()
    expect(page.get_by_text(re.compile(r"MOREAU Léa.* : entre au CP \(école élémentaire\)"))).to_be_visible()
    expect(page.get_by_text(f"MOREAU Léa – {activity.name} : Maternelle → Élémentaire")).to_be_visible()
    axe_check(page)
    _fits(page)
    assert Child.objects.get(pk=lea.pk).school_level == "GS"  # the preview changes nothing

    page.get_by_role("button", name=f"Appliquer le passage de classe {label}").click()
    expect(page.get_by_text(re.compile(rf"Passage de classe {label} fait : 3 enfant\(s\)")).first).to_be_visible()
    expect(page.get_by_role("heading", name="À vérifier")).to_be_visible()
    expect(page.get_by_role("link", name="MOREAU Léa")).to_be_visible()
    expect(page.get_by_text("quitte le CM2 (entrée au collège)")).to_be_visible()
    axe_check(page)
    _fits(page)
    levels = dict(Child.objects.filter(family=family).values_list("first_name", "school_level"))
    assert levels == {"Léa": "CP", "Hugo": "COL", "Inès": "CE2"}
    assert Enrolment.objects.get(pk=enrolment.pk).group == elementaire
