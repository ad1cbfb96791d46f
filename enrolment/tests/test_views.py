import datetime
import io
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader, PdfWriter

from billing.models import Tariff
from enrolment import loaders, prices, services
from enrolment.basket import SESSION_KEY
from enrolment.models import Booking, CalendarFeed, Enrolment, Occupancy
from enrolment.services import BOOK, Change
from families.models import Child, Family
from families.tests.factories import ChildFactory, parent_with_family
from portal.models import Organisation, OutboundEmail
from portal.tests.pdfua import assert_pdf_ua

from .factories import ActivityFactory, GroupFactory, enrol, wednesdays_activity

pytestmark = pytest.mark.django_db
P = datetime.timezone(datetime.timedelta(hours=1))
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)
D = datetime.date


@pytest.fixture
def world(client):
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(capacity=10)
    enrolment = enrol(child, activity, group)
    client.force_login(user)
    return client, user, family, child, activity, group, unit, enrolment


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_pages_answer_for_a_parent(world):
    client, user, family, child, activity, group, unit, enrolment = world
    for url in [
        reverse("enrolment:index"), reverse("enrolment:request"), reverse("enrolment:planning"),
        reverse("enrolment:month", args=[enrolment.pk, 2025, 12]),
        reverse("enrolment:month", args=[enrolment.pk, 2025, 12]) + "?modifier=1",
        reverse("enrolment:week", args=[enrolment.pk, 2025, 12, 3]),
        reverse("enrolment:pattern", args=[enrolment.pk, "masse"]),
        reverse("enrolment:pattern", args=[enrolment.pk, "semaine"]),
        reverse("enrolment:basket"), reverse("enrolment:child_month", args=[child.pk, 2025, 12]),
        reverse("enrolment:feed_manage"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url


def test_month_shows_states_and_deadline_reason(world):
    client, user, family, child, activity, group, unit, enrolment = world
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
    html = client.get(reverse("enrolment:month", args=[enrolment.pk, 2025, 12])).content.decode()
    assert "Réservé" in html and "Légende" in html
    html = client.get(reverse("enrolment:month", args=[enrolment.pk, 2025, 11]) + "?modifier=1").content.decode()
    assert "Hors délai : les modifications de ce mois étaient possibles jusqu&#x27;au 20/10/2025 à 23 h 59" in html
    assert 'name="case"' not in html


def test_edit_basket_recap_commit(world, django_capture_on_commit_callbacks):
    client, user, family, child, activity, group, unit, enrolment = world
    url = reverse("enrolment:month", args=[enrolment.pk, 2025, 12])
    response = client.post(url, {"case": ["2025-12-03:%d" % unit.pk, "2025-12-10:%d" % unit.pk], "suite": "recap"})
    assert response.status_code == 302 and response.url == reverse("enrolment:basket")
    assert len(client.session[SESSION_KEY]) == 2
    recap = client.get(reverse("enrolment:basket")).content.decode()
    assert "Réservation" in recap and "03/12/2025" in recap
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("enrolment:basket"), {"action": "commit"})
    assert response.status_code == 302
    assert Booking.objects.filter(state="reserved").count() == 2
    assert client.session[SESSION_KEY] == []
    assert OutboundEmail.objects.filter(template="booking_recap").exists()
    # Unticking a booked day puts a cancellation in the basket.
    client.post(url, {"case": ["2025-12-03:%d" % unit.pk]})
    assert client.session[SESSION_KEY] == [[child.pk, unit.pk, "2025-12-10", "cancel"]]
    client.post(reverse("enrolment:basket"), {"action": "clear"})
    assert client.session[SESSION_KEY] == []
    assert Booking.objects.filter(state="reserved").count() == 2


def test_refused_commit_keeps_basket_and_explains(world):
    client, user, family, child, activity, group, unit, enrolment = world
    session = client.session
    session[SESSION_KEY] = [[child.pk, unit.pk, "2025-11-26", "book"]]
    session.save()
    response = client.post(reverse("enrolment:basket"), {"action": "commit"})
    assert response.status_code == 400
    assert "Hors délai" in response.content.decode()
    assert len(client.session[SESSION_KEY]) == 1
    assert not Booking.objects.exists()


def test_mass_selection_puts_wednesdays_in_basket(world):
    client, user, family, child, activity, group, unit, enrolment = world
    response = client.post(reverse("enrolment:pattern", args=[enrolment.pk, "masse"]), {
        "start": "2025-12-01", "end": "2026-01-31", "weekdays": ["2"], "units": [str(unit.pk)],
        "children": [str(child.pk)], "action": "book",
    })
    assert response.status_code == 302
    days = [i[2] for i in client.session[SESSION_KEY]]
    # Christmas holidays (20/12 – 04/01) are not school holidays in this test (none defined), January open.
    assert days == ["2025-12-03", "2025-12-10", "2025-12-17", "2025-12-24", "2025-12-31", "2026-01-07",
                    "2026-01-14", "2026-01-21", "2026-01-28"]


def test_typical_week_for_siblings(world):
    client, user, family, child, activity, group, unit, enrolment = world
    sibling = ChildFactory(family=family, first_name="Hugo")
    enrol(sibling, activity, group)
    response = client.post(reverse("enrolment:pattern", args=[enrolment.pk, "semaine"]), {
        "start": "2025-12-01", "end": "2025-12-14", f"wd2_u{unit.pk}": "on",
        "children": [str(child.pk), str(sibling.pk)], "action": "book",
    })
    assert response.status_code == 302
    assert sorted((i[0], i[2]) for i in client.session[SESSION_KEY]) == sorted(
        [(child.pk, "2025-12-03"), (child.pk, "2025-12-10"), (sibling.pk, "2025-12-03"), (sibling.pk, "2025-12-10")])


def test_request_flow_without_js(world):
    client, user, family, child, activity, group, unit, enrolment = world
    other, other_group, _ = wednesdays_activity(auto_validate=False)
    structure = other.activity_type.structure
    step = client.get(reverse("enrolment:request"), {"children": [child.pk], "structure": structure.pk,
                                                     "activity_type": other.activity_type.pk,
                                                     "activity": other.pk})
    assert "Groupe pour" in step.content.decode()
    response = client.post(reverse("enrolment:request"), {
        "children": [child.pk], "structure": structure.pk, "activity_type": other.activity_type.pk,
        "activity": other.pk, f"group_{child.pk}": other_group.pk, "envoyer": "1",
    })
    assert response.status_code == 302
    assert Enrolment.objects.get(activity=other).status == "pending"
    index = client.get(reverse("enrolment:index")).content.decode()
    assert "En attente de validation" in index


def test_certificate_pdf(world):
    client, user, family, child, activity, group, unit, enrolment = world

    response = client.get(reverse("enrolment:certificate", args=[enrolment.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Attestation d'inscription" in text and activity.name in text and child.first_name in text
    assert_pdf_ua(response.content, title="Attestation d'inscription")


def test_ical_feed_and_revocation(world):
    client, user, family, child, activity, group, unit, enrolment = world
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
    client.post(reverse("enrolment:feed_manage"))
    token = CalendarFeed.objects.get(family=family).token
    client.logout()
    body = client.get(reverse("enrolment:feed", args=[token])).content.decode()
    assert "BEGIN:VCALENDAR" in body and activity.name in body and "20251203T083000" in body
    client.force_login(user)
    client.post(reverse("enrolment:feed_manage"))
    assert client.get(reverse("enrolment:feed", args=[token])).status_code == 404


def test_absence_after_notice_is_billed(world):
    client, user, family, child, activity, group, unit, enrolment = world
    activity.notice_days = 3  # free until 9 November 12:00; now is the 10th
    activity.save()
    booking = Booking.objects.create(child=child, unit=unit, date=D(2025, 11, 12), enrolment=enrolment,
                                     state="reserved")
    Occupancy.objects.create(unit=unit, date=booking.date, booked=1, capacity=10)
    page = client.get(reverse("enrolment:absence", args=[booking.pk])).content.decode()
    assert "délai de prévenance" in page
    client.post(reverse("enrolment:absence", args=[booking.pk]), {"reason": "Malade"})
    booking.refresh_from_db()
    assert booking.state == "absent_billed"


class TestIsolation:
    def test_other_family_objects_answer_404_and_change_nothing(self, world):
        client, user, family, child, activity, group, unit, enrolment = world
        other_user, other_family = parent_with_family(children=1)
        other_child = other_family.children.get()
        other_enrolment = enrol(other_child, activity, group)
        booking = Booking.objects.create(child=other_child, unit=unit, date=D(2025, 12, 3), enrolment=other_enrolment,
                                         state="reserved")
        for url in [
            reverse("enrolment:month", args=[other_enrolment.pk, 2025, 12]),
            reverse("enrolment:week", args=[other_enrolment.pk, 2025, 12, 3]),
            reverse("enrolment:pattern", args=[other_enrolment.pk, "masse"]),
            reverse("enrolment:certificate", args=[other_enrolment.pk]),
            reverse("enrolment:child_month", args=[other_child.pk, 2025, 12]),
            reverse("enrolment:absence", args=[booking.pk]),
        ]:
            assert client.get(url).status_code == 404, url
        assert client.post(reverse("enrolment:month", args=[other_enrolment.pk, 2025, 12]),
                           {"case": []}).status_code == 404
        assert client.post(reverse("enrolment:absence", args=[booking.pk]), {"reason": "x"}).status_code == 404
        assert client.post(reverse("enrolment:waiting_join", args=[other_enrolment.pk]),
                           {"unit": unit.pk, "date": "2025-12-03"}).status_code == 404
        # A forged basket line for another family's child is refused at commit.
        session = client.session
        session[SESSION_KEY] = [[other_child.pk, unit.pk, "2025-12-10", "book"]]
        session.save()
        assert client.post(reverse("enrolment:basket"), {"action": "commit"}).status_code == 400
        booking.refresh_from_db()
        assert booking.state == "reserved"
        assert Booking.objects.count() == 1

    def test_staff_pages_need_staff(self, world, staff_user):
        client, *_ = world
        assert client.get(reverse("enrolment_staff:attendance")).status_code == 302
        client.force_login(staff_user)
        assert client.get(reverse("enrolment_staff:attendance")).status_code == 200


def _many_bookings(activity, group, unit, n):
    """n bookings of other families over the season (bulk_create)."""
    fam = Family.objects.create(name="BULK")
    children = Child.objects.bulk_create([
        Child(family=fam, first_name=f"E{i}", last_name="BULK", birth_date=D(2018, 1, 1), sex="F", school_level="CE1")
        for i in range(max(n // 40, 1))
    ])
    enrolments = Enrolment.objects.bulk_create([
        Enrolment(child=c, activity=activity, group=group, status="validated", requested_at=NOW) for c in children
    ])
    wednesdays = [D(2025, 9, 3) + datetime.timedelta(weeks=w) for w in range(40)]
    Booking.objects.bulk_create([
        Booking(child=e.child, unit=unit, date=d, enrolment=e, state="reserved")
        for e in enrolments for d in wednesdays
    ][:n])


@pytest.mark.parametrize("many", [10, 10_000])
def test_month_and_recap_query_counts_do_not_grow(world, django_assert_max_num_queries, many):
    client, user, family, child, activity, group, unit, enrolment = world

    Organisation.current()  # the organisation row exists (its creation changes the configuration version)
    _many_bookings(activity, group, unit, many)
    loaders.catalogue()  # warm, as in a running server (the home page warms it)
    Organisation.current()
    session = client.session
    session[SESSION_KEY] = [[child.pk, unit.pk, f"2025-12-{d:02d}", "book"] for d in (3, 10, 17)]
    session.save()
    # The session, the user with guardian and family, the enrolment, one query for the child's bookings,
    # waiting-list entries and counters (the catalogue is cached), the navigation's unread badge.
    with django_assert_max_num_queries(5):
        assert client.get(reverse("enrolment:month", args=[enrolment.pk, 2025, 12])).status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get(reverse("enrolment:month", args=[enrolment.pk, 2025, 12]) + "?modifier=1"
                          ).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("enrolment:basket")).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("enrolment:child_month", args=[child.pk, 2025, 12])).status_code == 200
    for name, budget in (("enrolment:index", 6), ("enrolment:planning", 5)):  # index: + the crèche section (1)
        with django_assert_max_num_queries(budget):
            assert client.get(reverse(name)).status_code == 200


def test_absence_certificate_checked_by_content(world):
    client, user, family, child, activity, group, unit, enrolment = world
    activity.notice_days = 3
    activity.save()
    booking = Booking.objects.create(child=child, unit=unit, date=D(2025, 11, 12), enrolment=enrolment,
                                     state="reserved")
    fake = SimpleUploadedFile("certificat.pdf", b"not really a pdf", content_type="application/pdf")
    response = client.post(reverse("enrolment:absence", args=[booking.pk]), {"reason": "Malade", "certificate": fake})
    assert "PDF, JPEG ou PNG" in response.content.decode()
    booking.refresh_from_db()
    assert booking.state == "reserved"

    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    real = SimpleUploadedFile("certificat.pdf", buffer.getvalue(), content_type="application/pdf")
    client.post(reverse("enrolment:absence", args=[booking.pk]), {"reason": "Malade", "certificate": real})
    booking.refresh_from_db()
    assert booking.state == "absent_billed" and booking.excuse == "requested"


def _queries(func):
    """(queries, result) of ``func()``, savepoints left out (the test's transaction makes every atomic block
    a savepoint; in a request they are the outermost transaction)."""
    with CaptureQueriesContext(connection) as ctx:
        result = func()
    savepoint = re.compile(r"^\s*(RELEASE |ROLLBACK TO )?SAVEPOINT\b")
    return len([q for q in ctx.captured_queries if not savepoint.match(q["sql"])]), result


# Stock Django: the session and the user (with guardian and family) are a query each on every request, and
# the commit reads the configuration version from the database. The commit: the version, the family's
# bookings (locked), children, enrolments, guardians' addresses, counters read; bookings written, outbox row,
# counters created / locked / saved, session saved.
# The recap e-mail adds the month's total (one query; its tariffs built once, on the first cycle).
FIRST_CYCLE = 21  # mass selection, then the very first commit of those days (its counters created)
CYCLE = {"mass selection": 5, "recap": 3, "commit": 13, "commit (cancel)": 13, "commit refused": 7}


def test_booking_cycle_query_counts_do_not_grow(world):
    """The race's cycle — mass selection, recap, commit, a refused commit with its recap — costs the same
    queries with few and many bookings around, at most about a dozen (issue 7)."""
    client, user, family, child, activity, group, unit, enrolment = world

    Organisation.current()
    masse = {"start": "2025-12-01", "end": "2025-12-31", "weekdays": ["2"], "units": [str(unit.pk)],
             "children": [str(child.pk)], "action": "book"}
    pattern, basket = reverse("enrolment:pattern", args=[enrolment.pk, "masse"]), reverse("enrolment:basket")
    loaders.catalogue()
    # The very first bookings of those days insert the bookings and create the counters: same count.
    first, r = _queries(lambda: client.post(basket, {"action": "commit"}) if client.post(pattern, masse) else None)
    assert r.status_code == 302 and first == FIRST_CYCLE, first
    client.post(pattern, dict(masse, action="cancel"))
    client.post(basket, {"action": "commit"})
    counts = []
    for many in (10, 10_000):
        _many_bookings(activity, group, unit, many)
        loaders.catalogue()
        prices.tariffs()  # warm, as in a running server
        c = {}
        # User, the enrolment with its siblings, the child's bookings; the session written.
        c["mass selection"], r = _queries(lambda: client.post(pattern, masse))
        assert r.status_code == 302
        # User, the children's names (units and tariffs cached), the navigation's counters.
        c["recap"], r = _queries(lambda: client.get(basket))
        assert r.status_code == 200
        # User, one read (bookings locked, enrolments, e-mails, counters), bookings, outbox, counters, session.
        c["commit"], r = _queries(lambda: client.post(basket, {"action": "commit"}))
        assert r.status_code == 302
        client.post(pattern, dict(masse, action="cancel"))
        c["commit (cancel)"], r = _queries(lambda: client.post(basket, {"action": "commit"}))
        assert r.status_code == 302
        Occupancy.objects.filter(unit=unit, date=D(2025, 12, 10)).update(booked=10)  # full (capacity 10)
        client.post(pattern, masse)
        # Refused as full before any write: user, the read, then the recap page.
        c["commit refused"], r = _queries(lambda: client.post(basket, {"action": "commit"}))
        assert r.status_code == 400 and "10/12/2025" in r.content.decode() and "complet" in r.content.decode()
        client.post(basket, {"action": "clear"})
        Occupancy.objects.filter(unit=unit, date=D(2025, 12, 10)).update(booked=0)
        counts.append(c)
    assert counts[0] == counts[1], counts
    assert counts[0] == CYCLE, counts[0]


def test_recap_prices_from_the_cached_tariffs_follow_a_tariff_change(world):
    client, user, family, child, activity, group, unit, enrolment = world

    tariff = Tariff.objects.create(unit=unit, label="JOURNÉE", mode="flat", flat_price=Decimal("8.50"),
                                   valid_from=D(2025, 9, 1))
    session = client.session
    session[SESSION_KEY] = [[child.pk, unit.pk, "2025-12-03", "book"], [child.pk, unit.pk, "2025-12-10", "book"]]
    session.save()
    html = client.get(reverse("enrolment:basket")).content.decode()
    assert "Mercredi 03/12/2025" in html and "8,50 €" in html and '<td class="text-end fw-bold" id="total">17,00 €' in html
    # Two « Retirer » forms, « Terminer », « Tout supprimer » (and the navigation's « Déconnexion »).
    assert html.count('name="csrfmiddlewaretoken"') == 5
    tariff.flat_price = Decimal("9.00")
    tariff.save()  # staff edit it in the admin: every worker's cached tariffs are rebuilt
    html = client.get(reverse("enrolment:basket")).content.decode()
    assert "9,00 €" in html and "18,00 €" in html


def test_mass_selection_of_another_familys_enrolment_answers_404(world):
    client, user, family, child, activity, group, unit, enrolment = world
    _, other_family = parent_with_family(children=1)
    other = enrol(other_family.children.get(), activity, group)
    response = client.post(reverse("enrolment:pattern", args=[other.pk, "masse"]), {
        "start": "2025-12-01", "end": "2025-12-31", "weekdays": ["2"], "units": [str(unit.pk)],
        "children": [str(other.child_id)], "action": "book"})
    assert response.status_code == 404
    assert not client.session.get(SESSION_KEY)


def test_mass_selection_skips_locked_days_and_cancels_only_active_bookings(world):
    client, user, family, child, activity, group, unit, enrolment = world
    # 03/12 booked, 10/12 present (locked: attendance taken), 17/12 cancelled; 26/11 is past its deadline.
    for day, state in ((D(2025, 12, 3), "reserved"), (D(2025, 12, 10), "present"), (D(2025, 12, 17), "cancelled")):
        Booking.objects.create(child=child, unit=unit, date=day, enrolment=enrolment, state=state)
    url = reverse("enrolment:pattern", args=[enrolment.pk, "masse"])
    data = {"start": "2025-11-26", "end": "2025-12-31", "weekdays": ["2"], "units": [str(unit.pk)],
            "children": [str(child.pk)], "action": "book"}
    response = client.post(url, data, follow=True)
    assert "3 changements ajoutés à vos réservations à confirmer. 2 jours non modifiables (hors délai) ignorés." \
        in response.content.decode()
    assert [(i[2], i[3]) for i in client.session[SESSION_KEY]] == [
        ("2025-12-17", "book"), ("2025-12-24", "book"), ("2025-12-31", "book")]
    client.post(reverse("enrolment:basket"), {"action": "clear"})
    client.post(url, dict(data, action="cancel"))
    assert [(i[2], i[3]) for i in client.session[SESSION_KEY]] == [("2025-12-03", "cancel")]


def test_enrolment_request_takes_two_steps(world):
    """Step 1: the child and the activity (every activity, grouped by équipement – type); step 2: send."""
    client, user, family, child, activity, group, unit, enrolment = world
    other = ActivityFactory(name="Vacances d'hiver", auto_validate=True)
    GroupFactory(activity=other, name="Tous")
    page = client.get(reverse("enrolment:request")).content.decode()
    assert f'<optgroup label="{other.activity_type.structure.name} – {other.activity_type.name}">' in page
    step = client.get(reverse("enrolment:request"), {"children": [child.pk], "activity": other.pk}).content.decode()
    assert "2. Groupe – Vacances d&#x27;hiver" in step
    response = client.post(reverse("enrolment:request"), {"children": [child.pk], "activity": other.pk,
                                                           "envoyer": "1"})
    assert response.status_code == 302
    assert Enrolment.objects.filter(child=child, activity=other, status="validated").exists()
