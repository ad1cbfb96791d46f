"""« Mes demandes », « Mes enfants »: booking requests, absences with a justification and enrolment requests,
each source alone (window of one month, pending always, only the family's own), the staff refusal of a
justification with its reason, and the page with few and many requests."""
import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrolment import request_sources, services
from enrolment.models import Booking, Enrolment
from enrolment.services import BOOK, Change
from families.request_sources import ACCEPTED, PENDING, REFUSED
from families import services as family_services
from families.selectors import family_requests
from families.tests.factories import parent_with_family
from portal.errors import BookingError
from portal.models import AuditLog, OutboundEmail

from .factories import enrol, wednesdays_activity

pytestmark = pytest.mark.django_db
P = datetime.timezone(datetime.timedelta(hours=1))
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)  # December is open until 20 November
LATER = datetime.datetime(2025, 12, 9, 12, 0, tzinfo=P)
D = datetime.date
MONTH = datetime.timedelta(days=31)


def _book(family, user, child, unit, days, when=NOW):
    with time_machine.travel(when, tick=False):  # created_at is the clock's
        services.booking_commit(family=family, by=user, now=when,
                                changes=[Change(day, child.id, unit.id, BOOK) for day in days])
    return list(Booking.objects.filter(child=child, unit=unit, date__in=days).order_by("date"))


def _certificate():
    return SimpleUploadedFile("certificat.pdf", b"%PDF-1.4 test", content_type="application/pdf")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def approval():
    """A family whose child is enrolled in an activity whose bookings the service validates."""
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(bookings_need_approval=True, public_name="Mercredis Castors")
    enrol(child, activity, group)
    return user, family, child, unit


@pytest.fixture
def booked():
    """A family whose child is enrolled in an activity booked without validation."""
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(public_name="Mercredis Loutres")
    enrol(child, activity, group)
    return user, family, child, unit


class TestBookingRequests:
    def test_days_asked_together_are_one_pending_request(self, approval):
        user, family, child, unit = approval
        _book(family, user, child, unit, [D(2025, 12, 3), D(2025, 12, 10)])
        (item,) = request_sources.booking_requests(family=family, since=NOW - MONTH)
        assert item.status == PENDING and item.status_words == "en attente de réponse du service"
        assert item.days == (D(2025, 12, 3), D(2025, 12, 10)) and item.asked_at == NOW
        assert item.child_name == child.first_name and item.title == "Mercredis Castors (Journée)"
        assert item.decided_at is None and item.url.startswith("/inscriptions/planning/")

    def test_refused_with_its_reason_and_date_then_out_of_the_window(self, approval, staff_user):
        user, family, child, unit = approval
        refused, accepted = _book(family, user, child, unit, [D(2025, 12, 3), D(2025, 12, 10)])
        decided = NOW + datetime.timedelta(days=1)
        services.booking_decide(booking=refused, accept=False, by=staff_user, reason="Groupe complet", now=decided)
        services.booking_decide(booking=accepted, accept=True, by=staff_user, now=decided)
        items = {item.status: item for item in request_sources.booking_requests(family=family, since=NOW - MONTH)}
        assert set(items) == {REFUSED, ACCEPTED}
        assert items[REFUSED].refusal_reason == "Groupe complet" and items[REFUSED].decided_at == decided
        assert items[REFUSED].days == (D(2025, 12, 3),) and items[ACCEPTED].refusal_reason == ""
        # More than a month after the request and the decision, the decided ones are no longer listed.
        assert request_sources.booking_requests(family=family, since=decided + datetime.timedelta(seconds=1)) == []

    def test_pending_is_listed_however_old(self, approval):
        user, family, child, unit = approval
        _book(family, user, child, unit, [D(2025, 12, 3)])
        (item,) = request_sources.booking_requests(family=family, since=NOW + 3 * MONTH)
        assert item.status == PENDING

    def test_a_day_booked_again_is_dated_by_its_new_request(self, approval, staff_user):
        user, family, child, unit = approval
        (booking,) = _book(family, user, child, unit, [D(2025, 12, 3)])
        services.booking_decide(booking=booking, accept=False, by=staff_user, reason="Complet", now=NOW)
        again = NOW + datetime.timedelta(days=2)
        _book(family, user, child, unit, [D(2025, 12, 3)], when=again)
        (item,) = request_sources.booking_requests(family=family, since=NOW - MONTH)
        assert item.status == PENDING and item.asked_at == again and item.refusal_reason == ""

    def test_days_booked_without_validation_are_not_requests(self, booked):
        user, family, child, unit = booked
        _book(family, user, child, unit, [D(2025, 12, 3)])
        assert request_sources.booking_requests(family=family, since=NOW - MONTH) == []


class TestAbsences:
    def test_pending_refused_with_reason_and_excused(self, booked, staff_user, django_capture_on_commit_callbacks):
        user, family, child, unit = booked
        days = [D(2025, 12, 3), D(2025, 12, 10), D(2025, 12, 17)]
        first, second, third = _book(family, user, child, unit, days)
        services.booking_declare_absence(booking=first, by=user, certificate=_certificate(),
                                         now=datetime.datetime(2025, 12, 2, 12, 0, tzinfo=P))
        services.booking_declare_absence(booking=second, by=user, certificate=_certificate(), reason="Varicelle",
                                         now=LATER)
        services.booking_declare_absence(booking=third, by=user, now=datetime.datetime(2025, 12, 16, 12, 0, tzinfo=P))
        items = request_sources.absence_requests(family=family, since=NOW)
        # Only the absences sent with a justification are requests to the service.
        assert [item.status for item in items] == [PENDING, PENDING]

        with pytest.raises(BookingError, match="motif"):
            services.booking_excuse(booking=first, accept=False, by=staff_user, reason="  ")
        decided = LATER + datetime.timedelta(hours=3)
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_excuse(booking=first, accept=False, by=staff_user, reason="Certificat illisible",
                                    now=decided)
        services.booking_excuse(booking=second, accept=True, by=staff_user, now=decided)
        first.refresh_from_db()
        assert first.state == "absent_billed" and first.excuse_refusal_reason == "Certificat illisible"
        assert first.decided_at is None  # the booking itself was never a request
        mail = OutboundEmail.objects.get(template="absence_excuse", subject__contains="refusé")
        assert "Motif : Certificat illisible" in mail.body_text
        assert AuditLog.objects.filter(action="booking.excuse", new_values__reason="Certificat illisible").exists()

        refused, excused = request_sources.absence_requests(family=family, since=NOW)
        assert (refused.status, refused.refusal_reason, refused.decided_at) == (REFUSED, "Certificat illisible", decided)
        assert refused.days == (D(2025, 12, 3),) and refused.kind_label.startswith("Absence")
        assert (excused.status, excused.refusal_reason, excused.days) == (ACCEPTED, "", (D(2025, 12, 10),))
        assert request_sources.absence_requests(family=family, since=decided + MONTH) == []

    def test_pending_justification_is_listed_however_old(self, booked):
        user, family, child, unit = booked
        (booking,) = _book(family, user, child, unit, [D(2025, 12, 3)])
        services.booking_declare_absence(booking=booking, by=user, certificate=_certificate(),
                                         now=datetime.datetime(2025, 12, 2, 12, 0, tzinfo=P))
        (item,) = request_sources.absence_requests(family=family, since=NOW + 3 * MONTH)
        assert item.status == PENDING


class TestEnrolments:
    def test_pending_refused_and_old(self, staff_user):
        _, family = parent_with_family(children=2)
        first, second = family.children.order_by("pk")
        activity, group, _ = wednesdays_activity(public_name="Mercredis Castors")
        other, other_group, _ = wednesdays_activity(public_name="Mercredis Loutres")
        pending = Enrolment.objects.create(child=first, activity=activity, group=group, requested_at=NOW)
        refused = Enrolment.objects.create(child=second, activity=activity, group=group, requested_at=NOW)
        services.enrolment_decide(enrolment=refused, accept=False, by=staff_user, reason="Plus de place", now=NOW)
        Enrolment.objects.create(child=first, activity=other, group=other_group, status="validated",
                                 requested_at=NOW - 3 * MONTH, decided_at=NOW - 3 * MONTH)
        items = {item.key: item for item in request_sources.enrolment_requests(family=family, since=NOW - MONTH)}
        assert set(items) == {f"enrolment-{pending.pk}", f"enrolment-{refused.pk}"}
        item = items[f"enrolment-{refused.pk}"]
        assert (item.status, item.refusal_reason, item.child_name, item.title) == (
            REFUSED, "Plus de place", second.first_name, "Mercredis Castors")
        assert [i.key for i in request_sources.enrolment_requests(family=family, since=NOW + MONTH)] == [
            f"enrolment-{pending.pk}"]


def test_only_the_familys_own_requests(approval, booked, staff_user):
    user, family, child, unit = approval
    other_user, other_family, other_child, other_unit = booked
    _book(family, user, child, unit, [D(2025, 12, 3)])
    (booking,) = _book(other_family, other_user, other_child, other_unit, [D(2025, 12, 3)])
    services.booking_declare_absence(booking=booking, by=other_user, certificate=_certificate(),
                                     now=datetime.datetime(2025, 12, 2, 12, 0, tzinfo=P))
    mine = family_requests(family=family, now=NOW)
    assert [item.kind_label for item in mine["children"]] == ["Réservation"]
    theirs = family_requests(family=other_family, now=NOW)
    assert [item.kind_label for item in theirs["children"]] == ["Absence (justificatif envoyé)"]


def test_the_filter_keeps_one_source(approval, booked):
    user, family, child, unit = approval
    _book(family, user, child, unit, [D(2025, 12, 3)])
    assert set(family_requests(family=family, kind="absences", now=NOW)) == {"children"}
    assert family_requests(family=family, kind="absences", now=NOW)["children"] == []
    assert len(family_requests(family=family, kind="bookings", now=NOW)["children"]) == 1
    assert set(family_requests(family=family, kind="guardian", now=NOW)) == {"dossier"}


def test_staff_refuse_a_justification_with_a_reason_in_the_admin(booked, staff_client):
    user, family, child, unit = booked
    (booking,) = _book(family, user, child, unit, [D(2025, 12, 3)])
    services.booking_declare_absence(booking=booking, by=user, certificate=_certificate(),
                                     now=datetime.datetime(2025, 12, 2, 12, 0, tzinfo=P))
    url = reverse("admin:enrolment_booking_changelist")
    form = staff_client.post(url, {"action": "refuse_excuse", "_selected_action": [booking.pk]})
    assert form.status_code == 200 and "Motif du refus" in form.content.decode()
    staff_client.post(url, {"action": "refuse_excuse", "_selected_action": [booking.pk], "apply": "1",
                            "reason": "Certificat sans date"})
    booking.refresh_from_db()
    assert (booking.excuse, booking.excuse_refusal_reason) == ("denied", "Certificat sans date")
    assert booking.excuse_decided_at is not None


def _requests(user, child, units, start, count):
    """``count`` requests of each kind, each asked on its own day of the last month."""
    (activity, unit), (plain, plain_unit) = units
    booking_enrolment, plain_enrolment = (child.enrolments.get(activity=a, status="validated") for a in (activity, plain))
    now = timezone.now()
    for i in range(start, start + count):
        asked = now - datetime.timedelta(days=i)  # one day each: days asked together read as one request
        day = D(2025, 9, 3) + datetime.timedelta(weeks=i)
        request = Booking.objects.create(child=child, unit=unit, date=day, enrolment=booking_enrolment,
                                         state="requested")
        Booking.objects.filter(pk=request.pk).update(created_at=asked)
        Booking.objects.create(child=child, unit=plain_unit, date=day, enrolment=plain_enrolment, state="absent_billed",
                               excuse="denied", absence_declared_at=asked, excuse_decided_at=asked,
                               excuse_refusal_reason="Certificat illisible")
        Enrolment.objects.create(child=child, activity=activity, group=booking_enrolment.group, status="refused",
                                 requested_at=asked, decided_at=asked, refusal_reason="Complet")
        family_services.change_request_create(family=child.family, user=user, kind="family",
                                              data={"city": f"Ville {i}"}, now=asked)


def test_page_queries_do_not_grow_with_the_requests(client, django_assert_max_num_queries):
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(bookings_need_approval=True, public_name="Mercredis Castors")
    plain, plain_group, (plain_unit,) = wednesdays_activity(public_name="Mercredis Loutres")
    enrol(child, activity, group)
    enrol(child, plain, plain_group)
    units = ((activity, unit), (plain, plain_unit))
    _requests(user, child, units, 0, 1)
    client.force_login(user)
    client.get("/famille/demandes/")  # warm the organisation row
    with CaptureQueriesContext(connection) as few:
        body = client.get("/famille/demandes/").content.decode()
    assert body.count("Certificat illisible") == 1 and "Ville 0" in body
    _requests(user, child, units, 1, 29)
    with django_assert_max_num_queries(len(few)):
        body = client.get("/famille/demandes/").content.decode()
    assert body.count("Certificat illisible") == 30 and body.count("Motif du refus :</strong> Complet") == 30
    assert body.count('class="card mb-3 request-card"') == 4 * 30
