"""Parent journeys in Chromium, at desktop and phone sizes (the ``screen`` fixture), with axe on every page."""
import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Tariff
from enrolment import rules
from enrolment.models import Booking, OpeningPeriod
from families.models import AuthorisedPerson
from families.tests.factories import parent_with_family
from portal.models import OutboundEmail
from portal.templatetags.portal_text import de

from .factories import ActivityFactory, GroupFactory, UnitFactory, enrol

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _bookable_month(today):
    """The first month whose monthly deadline (the 20th of the previous month) is still ahead."""
    first_next = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    if today.day <= 20:
        return first_next
    return (first_next.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


@pytest.fixture
def catalogue():
    today = timezone.localdate(timezone.now(), rules.PARIS)
    start = today - datetime.timedelta(days=60)
    end = today + datetime.timedelta(days=200)
    activity = ActivityFactory(name="CL Mercredis Élémentaire", season_start=start, season_end=end,
                               auto_validate=True, booking_rule="monthly",
                               activity_type__structure__name="Accueil de loisirs Les Castors",
                               activity_type__name="Centre de loisirs")
    OpeningPeriod.objects.create(activity=activity, start_date=start, end_date=end, wednesday=True,
                                 skip_school_holidays=False)
    GroupFactory(activity=activity, name="Élémentaire +6 ans", school_stage="elementaire")
    unit = UnitFactory(activity=activity, name="Journée", code="CLJ", capacity=24)
    Tariff.objects.create(unit=unit, label="JOURNÉE", mode="flat", flat_price=Decimal("8.50"), valid_from=start)
    return activity, unit, today


def test_enrol_mass_select_untick_recap_commit(page, live_server, browser_login, axe_check, catalogue, screen):
    activity, unit, today = catalogue
    user, family = parent_with_family(children=1)
    child = family.children.get()
    browser_login(page, user)

    # Enrol the child in two steps (child and activity, then group), without any script.
    page.goto(f"{live_server.url}/inscriptions/")
    axe_check(page)
    page.get_by_role("link", name="Nouvelle inscription").click()
    axe_check(page)
    page.get_by_label(child.first_name).check()
    page.get_by_label("Activité", exact=True).select_option(label="CL Mercredis Élémentaire")
    page.get_by_role("button", name="Continuer").click()
    axe_check(page)
    expect(page.get_by_label("Élémentaire +6 ans")).to_be_checked()
    page.get_by_role("button", name="Envoyer la demande d'inscription").click()
    expect(page.get_by_text("validée").first).to_be_visible()
    axe_check(page)

    # Book every Wednesday of the bookable month by mass selection, then untick one.
    month = _bookable_month(today)
    _, last = rules.month_bounds(month.year, month.month)
    wednesdays = [month + datetime.timedelta(days=i) for i in range((last - month).days + 1)
                  if (month + datetime.timedelta(days=i)).weekday() == 2]
    page.goto(f"{live_server.url}/inscriptions/planning/")
    axe_check(page)
    page.get_by_role("link", name=re.compile("Calendrier")).click()
    axe_check(page)
    page.get_by_role("link", name="Sélection en masse").click()
    axe_check(page)
    page.get_by_label("Du", exact=True).fill(month.isoformat())
    page.get_by_label("Au", exact=True).fill(last.isoformat())
    page.get_by_label("Mercredi").check()
    page.get_by_label("Journée").check()
    page.get_by_role("button", name="Ajouter à mes réservations à confirmer").click()
    expect(page.get_by_text(f"{len(wednesdays)} changements ajoutés à vos réservations à confirmer.")).to_be_visible()
    axe_check(page)
    dropped = wednesdays[1]
    page.get_by_label(f"mercredi {dropped:%d/%m/%Y} – Journée").uncheck()
    page.get_by_role("button", name="Voir mes réservations à confirmer").click()
    axe_check(page)
    kept = len(wednesdays) - 1
    total = f"{Decimal('8.50') * kept:.2f}".replace(".", ",")
    expect(page.locator("#total")).to_have_text(f"{total} €")
    expect(page.locator("table")).not_to_contain_text(f"{dropped:%d/%m/%Y}")
    page.get_by_role("button", name="Confirmer mes réservations").click()
    expect(page.get_by_role("heading", name="Vos réservations sont enregistrées")).to_be_visible()
    expect(page.get_by_text(f"{kept} jours réservés")).to_be_visible()
    expect(page.locator("#total")).to_have_text(f"{total} €")
    axe_check(page)

    assert Booking.objects.filter(child=child, state="reserved").count() == kept
    assert not Booking.objects.filter(child=child, date=dropped).exists()
    assert OutboundEmail.objects.filter(template="booking_recap", to=user.email).count() == 1

    # The calendar now shows the booked days.
    enrolment_id = Booking.objects.filter(child=child).first().enrolment_id
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment_id}/{month.year}/{month.month}/")
    expect(page.get_by_text("Journée : Réservé").locator("visible=true").first).to_be_visible()
    axe_check(page)

    # Past the deadline the month is read-only and says why.
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment_id}/{today.year}/{today.month}/?modifier=1")
    expect(page.get_by_text(re.compile("Hors délai : les modifications de ce mois étaient possibles jusqu'au"))
           .first).to_be_visible()
    axe_check(page)


def test_staff_takes_attendance_on_a_phone(page, live_server, browser_login, axe_check, catalogue, staff_user):
    activity, unit, today = catalogue
    _, family = parent_with_family(children=1)
    child = family.children.get()
    child.health.pai = True
    child.health.save()
    AuthorisedPerson.objects.create(child=child, last_name="DURAND", first_name="Paul", phone="06 11 22 33 44")
    enrolment = enrol(child, activity, activity.groups.get())
    Booking.objects.create(child=child, unit=unit, date=today, enrolment=enrolment, state="reserved")
    browser_login(page, staff_user)
    page.goto(f"{live_server.url}/personnel/inscriptions/presences/?activite={activity.pk}&date={today.isoformat()}")
    expect(page.get_by_text("Paul DURAND")).to_be_visible()
    expect(page.get_by_text("PAI", exact=True)).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name=f"Présent : {child.first_name}").click()
    expect(page.get_by_text("Présent", exact=True).first).to_be_visible()
    axe_check(page)
    assert Booking.objects.get(child=child).state == "present"


def test_other_parent_pages_are_accessible(page, live_server, browser_login, axe_check, catalogue):
    activity, unit, today = catalogue
    user, family = parent_with_family(children=1)
    child = family.children.get()
    enrolment = enrol(child, activity, activity.groups.get())
    month = _bookable_month(today)
    wednesday = month + datetime.timedelta(days=(2 - month.weekday()) % 7)
    booking = Booking.objects.create(child=child, unit=unit, date=wednesday, enrolment=enrolment, state="reserved")
    browser_login(page, user)
    for path, text in [
        (f"/inscriptions/planning/{enrolment.pk}/semaine/{wednesday.year}/{wednesday.month}/{wednesday.day}/",
         "Journée : Réservé"),
        (f"/inscriptions/planning/{enrolment.pk}/selection/semaine/", "Semaine type"),
        (f"/inscriptions/enfant/{child.pk}/{month.year}/{month.month}/", f"Planning {de(child.first_name)}"),
        (f"/inscriptions/absence/{booking.pk}/", "Déclarer une absence"),
        ("/inscriptions/agenda/", "Agenda privé"),
        ("/", "Mes réservations"),
    ]:
        page.goto(live_server.url + path)
        expect(page.get_by_text(text).locator("visible=true").first).to_be_visible()
        axe_check(page)
    page.goto(live_server.url + "/inscriptions/agenda/")
    page.get_by_role("button", name="Créer mon agenda privé").click()
    expect(page.get_by_label(re.compile("Adresse de votre agenda"))).to_have_value(re.compile(r"\.ics$"))
    axe_check(page)
