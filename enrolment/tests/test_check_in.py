"""Check-in (pointage): taps applied once per id, undo, absences billed, children come unbooked, the page's
queries bounded."""
import datetime
import io
import json
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfWriter

from billing.services.invoicing import billable_bookings
from enrolment.models import Booking, CheckInTap, Occupancy
from enrolment.services import booking_declare_absence
from enrolment.services.check_in import check_in_tap, check_in_walk_in, tap_time
from families.models import AuthorisedPerson
from families.tests.factories import ChildFactory, FamilyFactory, parent_with_family
from portal.errors import BookingError

from .factories import enrol, wednesdays_activity

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 12, 3)
P = datetime.timezone(datetime.timedelta(hours=1))
AT = datetime.datetime(2025, 12, 3, 8, 42, tzinfo=P)


@pytest.fixture
def booked():
    activity, group, (unit,) = wednesdays_activity()
    _, family = parent_with_family(children=1)
    child = family.children.get()
    enrolment = enrol(child, activity, group)
    booking = Booking.objects.create(child=child, unit=unit, date=DAY, enrolment=enrolment, state="reserved")
    return booking


def test_arrival_and_departure_keep_the_times_and_a_tap_sent_twice_counts_once(booked, staff_user):
    tap = uuid.uuid4()
    booking, applied = check_in_tap(tap_id=tap, booking_id=booked.pk, action="arrive", tapped_at=AT, by=staff_user)
    assert applied and booking.state == "present" and booking.arrived_at == datetime.time(8, 42)
    again, applied = check_in_tap(tap_id=tap, booking_id=booked.pk, action="arrive",
                                  tapped_at=AT + datetime.timedelta(hours=1), by=staff_user)
    assert not applied and again.arrived_at == datetime.time(8, 42)
    check_in_tap(tap_id=uuid.uuid4(), booking_id=booked.pk, action="leave",
                 tapped_at=AT.replace(hour=17, minute=5), by=staff_user)
    booked.refresh_from_db()
    assert (booked.arrived_at, booked.left_at) == (datetime.time(8, 42), datetime.time(17, 5))
    assert CheckInTap.objects.filter(booking=booked).count() == 2


def test_undo_puts_back_the_state_before_the_last_tap(booked, staff_user):
    check_in_tap(tap_id=uuid.uuid4(), booking_id=booked.pk, action="arrive", tapped_at=AT, by=staff_user)
    check_in_tap(tap_id=uuid.uuid4(), booking_id=booked.pk, action="leave", tapped_at=AT, by=staff_user)
    booking, _ = check_in_tap(tap_id=uuid.uuid4(), booking_id=booked.pk, action="undo", tapped_at=AT, by=staff_user)
    assert booking.state == "present" and booking.left_at is None and booking.arrived_at == datetime.time(8, 42)
    booking, _ = check_in_tap(tap_id=uuid.uuid4(), booking_id=booked.pk, action="undo", tapped_at=AT, by=staff_user)
    assert booking.state == "reserved" and booking.arrived_at is None
    with pytest.raises(BookingError, match="Aucun pointage"):
        check_in_tap(tap_id=uuid.uuid4(), booking_id=booked.pk, action="undo", tapped_at=AT, by=staff_user)


def test_a_booked_child_who_does_not_come_is_billed_and_the_family_may_still_justify(booked, staff_user):
    booking, _ = check_in_tap(tap_id=uuid.uuid4(), booking_id=booked.pk, action="absent", tapped_at=AT, by=staff_user)
    assert booking.state == "absent_billed" and booking.excuse == ""
    assert booking in billable_bookings(units=[booking.unit_id], period_start=DAY, period_end=DAY)
    with pytest.raises(BookingError):
        check_in_tap(tap_id=uuid.uuid4(), booking_id=booked.pk, action="leave", tapped_at=AT, by=staff_user)
    parent = booking.child.family.guardians.first().user
    pdf = SimpleUploadedFile("certificat.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    booking = booking_declare_absence(booking=booking, by=parent, reason="Malade", certificate=pdf,
                                      now=AT + datetime.timedelta(days=2))
    assert booking.state == "absent_billed" and booking.excuse == "requested" and booking.medical_certificate


def test_a_child_come_unbooked_is_added_present_and_billed_or_only_flagged(staff_user):
    activity, group, (unit,) = wednesdays_activity(capacity=1)
    child = ChildFactory(family=FamilyFactory())
    enrolment = enrol(child, activity, group)
    tap = uuid.uuid4()
    booking, applied = check_in_walk_in(tap_id=tap, enrolment_id=enrolment.pk, unit_id=unit.pk, day=DAY,
                                        tapped_at=AT, by=staff_user)
    assert applied and booking.state == "present" and booking.walk_in and booking.arrived_at == datetime.time(8, 42)
    _, applied = check_in_walk_in(tap_id=tap, enrolment_id=enrolment.pk, unit_id=unit.pk, day=DAY, tapped_at=AT,
                                  by=staff_user)
    assert not applied and Booking.objects.count() == 1
    assert Occupancy.objects.get(unit=unit, date=DAY).booked == 1
    assert booking in billable_bookings(units=[unit.pk], period_start=DAY, period_end=DAY)
    activity.walk_in_billed = False
    activity.save()
    assert not billable_bookings(units=[unit.pk], period_start=DAY, period_end=DAY).exists()
    # Full now: another child come unbooked is refused with a clear message.
    other = enrol(ChildFactory(family=FamilyFactory()), activity, group)
    with pytest.raises(BookingError, match="Plus de place"):
        check_in_walk_in(tap_id=uuid.uuid4(), enrolment_id=other.pk, unit_id=unit.pk, day=DAY, tapped_at=AT,
                         by=staff_user)
    # Undo gives the place back.
    booking, _ = check_in_tap(tap_id=uuid.uuid4(), booking_id=booking.pk, action="undo", tapped_at=AT, by=staff_user)
    assert booking.state == "cancelled" and Occupancy.objects.get(unit=unit, date=DAY).booked == 0


def test_tap_time_is_never_in_the_future():
    now = timezone.now()
    assert tap_time("2999-01-01T00:00:00Z", now=now) == now
    assert tap_time("n'importe quoi", now=now) == now
    assert tap_time("2025-12-03T07:42:00.000Z", now=now) == AT


def _post(client, payload):
    return client.post(reverse("enrolment_staff:check_in_tap"), json.dumps(payload), content_type="application/json")


def test_tap_endpoint_answers_json_and_refuses_bad_input(client, staff_user, booked):
    client.force_login(staff_user)
    tap = str(uuid.uuid4())
    r = _post(client, {"id": tap, "booking": booked.pk, "action": "arrive", "at": "2025-12-03T07:42:00Z"})
    assert r.status_code == 200 and r.json()["booking"]["state"] == "present" and r.json()["applied"]
    assert r.json()["booking"]["arrived_at"] == "08:42" and r.json()["booking"]["can_undo"]
    r = _post(client, {"id": tap, "booking": booked.pk, "action": "arrive"})
    assert r.status_code == 200 and not r.json()["applied"]
    assert _post(client, {"id": "pas-un-uuid", "booking": booked.pk}).status_code == 400
    assert _post(client, {"id": str(uuid.uuid4()), "booking": "x"}).status_code == 400
    assert _post(client, {"id": str(uuid.uuid4()), "booking": 999999, "action": "arrive"}).status_code == 409
    assert _post(client, {"id": str(uuid.uuid4()), "booking": booked.pk, "action": "danse"}).status_code == 409
    assert _post(client, {"id": str(uuid.uuid4()), "walk_in": {"enrolment": "x"}}).status_code == 400
    assert client.post(reverse("enrolment_staff:check_in_tap"), "[1]", content_type="application/json").status_code == 400
    assert client.get(reverse("enrolment_staff:check_in_tap")).status_code == 405


def test_tap_endpoint_is_staff_only(client, booked):
    user = booked.child.family.guardians.first().user
    client.force_login(user)
    r = _post(client, {"id": str(uuid.uuid4()), "booking": booked.pk, "action": "arrive"})
    assert r.status_code in (302, 403, 404)
    booked.refresh_from_db()
    assert booked.state == "reserved"


def _site_with_children(n):
    activity, group, (unit, meal) = wednesdays_activity(units=("Journée", "Repas"), capacity=None)
    family = FamilyFactory()
    bookings = []
    for i in range(n):
        child = ChildFactory(family=family)
        child.health.pai = i % 7 == 0
        child.health.save()
        AuthorisedPerson.objects.create(child=child, last_name="MARTIN", first_name=f"Léa{i}", phone="06 01 02 03 04")
        enrolment = enrol(child, activity, group)
        bookings.append(Booking(child=child, unit=unit, date=DAY, enrolment=enrolment, state="reserved"))
        bookings.append(Booking(child=child, unit=meal, date=DAY, enrolment=enrolment, state="reserved"))
    Booking.objects.bulk_create(bookings)
    return activity


@pytest.mark.parametrize("children", [2, 200])
def test_check_in_page_queries_are_bounded(client, staff_user, django_assert_max_num_queries, children):
    activity = _site_with_children(children)
    client.force_login(staff_user)
    url = reverse("enrolment_staff:check_in") + f"?site={activity.activity_type.structure.pk}&date=2025-12-03"
    client.get(url)  # the organisation's settings row is created on the first page of a new database
    with django_assert_max_num_queries(10):
        page = client.get(url).content.decode()
    assert len(re.findall(r'class="checkin-row" data-booking="\d+"', page)) == 2 * children
    assert "Attendus : <strong data-count=\"expected\">" + str(2 * children) in page
    assert "Peuvent venir chercher" in page and "Tous présents" in page


def test_the_family_sends_a_justification_for_an_absence_marked_at_check_in(client, booked, staff_user):
    check_in_tap(tap_id=uuid.uuid4(), booking_id=booked.pk, action="absent", tapped_at=AT, by=staff_user)
    client.force_login(booked.child.family.guardians.first().user)
    url = reverse("enrolment:absence", args=[booked.pk])
    page = client.get(url).content.decode()
    assert "Absence non excusée" in page and "Envoyer le justificatif" in page

    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    pdf = SimpleUploadedFile("certificat.pdf", buffer.getvalue(), content_type="application/pdf")
    client.post(url, {"reason": "Fièvre", "certificate": pdf})
    booked.refresh_from_db()
    assert booked.state == "absent_billed" and booked.excuse == "requested"
    page = client.get(url).content.decode()
    assert "Envoyer le justificatif" not in page and "justificatif à examiner" in page


def test_check_in_row_shows_a_recognised_disability_and_its_accommodations(client, booked, staff_user):
    """The family's MDPH box and the accommodations they wish for reach the animators at check-in."""
    health = booked.child.health
    health.disability = True
    health.accommodations = "Salle calme pour la sieste"
    health.save()
    client.force_login(staff_user)
    structure = booked.unit.activity.activity_type.structure
    page = client.get(reverse("enrolment_staff:check_in") + f"?site={structure.pk}&date=2025-12-03").content.decode()
    assert "Handicap (MDPH)" in page and "Handicap reconnu (MDPH)" in page
    assert "aménagements souhaités : Salle calme pour la sieste" in page
