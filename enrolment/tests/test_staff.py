import datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrolment import services
from enrolment.models import Booking, Enrolment
from enrolment.services import BOOK, Change
from families.models import AuthorisedPerson
from families.tests.factories import parent_with_family
from portal.models import AuditLog, OutboundEmail

from .factories import enrol, wednesdays_activity

pytestmark = pytest.mark.django_db
P = datetime.timezone(datetime.timedelta(hours=1))
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)
D = datetime.date


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_admin_lists_pending_enrolments_first_and_bulk_accepts(staff_client):
    activity, group, _ = wednesdays_activity(auto_validate=False)
    families = [parent_with_family(children=1) for _ in range(3)]
    done = enrol(families[0][1].children.get(), activity, group)
    pending = [Enrolment.objects.create(child=f.children.get(), activity=activity, group=group, requested_at=NOW)
               for _, f in families[1:]]
    page = staff_client.get(reverse("admin:enrolment_enrolment_changelist")).content.decode()
    assert page.index(str(pending[0].child)) < page.index(str(done.child))
    response = staff_client.post(reverse("admin:enrolment_enrolment_changelist"), {
        "action": "accept", "_selected_action": [e.pk for e in pending]})
    assert response.status_code == 302
    assert set(Enrolment.objects.filter(pk__in=[e.pk for e in pending]).values_list("status", flat=True)) == {
        "validated"}
    assert OutboundEmail.objects.filter(template="enrolment_decision").count() == 2
    assert AuditLog.objects.filter(action="enrolment.decide").count() == 2


def test_admin_bulk_refuse_asks_reason(staff_client):
    activity, group, _ = wednesdays_activity(auto_validate=False)
    _, family = parent_with_family(children=1)
    e = Enrolment.objects.create(child=family.children.get(), activity=activity, group=group, requested_at=NOW)
    url = reverse("admin:enrolment_enrolment_changelist")
    form = staff_client.post(url, {"action": "refuse", "_selected_action": [e.pk]})
    assert form.status_code == 200 and "Motif du refus" in form.content.decode()
    staff_client.post(url, {"action": "refuse", "_selected_action": [e.pk], "apply": "1", "reason": "Complet"})
    e.refresh_from_db()
    assert e.status == "refused" and e.refusal_reason == "Complet"


def test_admin_accepts_booking_requests(staff_client):
    activity, group, (unit,) = wednesdays_activity(bookings_need_approval=True)
    user, family = parent_with_family(children=1)
    child = family.children.get()
    enrol(child, activity, group)
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
    booking = Booking.objects.get()
    staff_client.post(reverse("admin:enrolment_booking_changelist"), {"action": "accept",
                                                                      "_selected_action": [booking.pk]})
    booking.refresh_from_db()
    assert booking.state == "reserved"


def test_attendance_sheet_marks_and_exports(staff_client):
    activity, group, (unit,) = wednesdays_activity()
    user, family = parent_with_family(children=1)
    child = family.children.get()
    child.health.pai = True
    child.health.save()
    AuthorisedPerson.objects.create(child=child, last_name="DURAND", first_name="Paul", phone="06 00 00 00 00")
    enrol(child, activity, group)
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
    url = reverse("enrolment_staff:attendance") + f"?activite={activity.pk}&date=2025-12-03"
    page = staff_client.get(url).content.decode()
    assert "PAI" in page and "Arachides" in page and "Paul DURAND" in page
    booking = Booking.objects.get()
    staff_client.post(url, {"booking": booking.pk, "presence": "present"})
    booking.refresh_from_db()
    assert booking.state == "present"
    csv = staff_client.get(url + "&format=csv").content.decode("utf-8-sig")
    assert "Présent" in csv and child.last_name in csv and "oui" in csv


def test_occupancy_page(staff_client):
    activity, group, (unit,) = wednesdays_activity(capacity=2)
    user, family = parent_with_family(children=1)
    child = family.children.get()
    enrol(child, activity, group)
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
    page = staff_client.get(reverse("enrolment_staff:occupancy") + f"?activite={activity.pk}&annee=2025&mois=12").content
    assert "1 / 2" in page.decode()


def test_home_block_lists_next_days(client):
    activity, group, (unit,) = wednesdays_activity()
    user, family = parent_with_family(children=1)
    child = family.children.get()
    enrol(child, activity, group)
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("home")).content.decode()
    assert "Mes réservations" in page and "03/12" in page


def test_medical_certificate_only_for_staff(client, staff_user):
    activity, group, (unit,) = wednesdays_activity()
    user, family = parent_with_family(children=1)
    child = family.children.get()
    e = enrol(child, activity, group)
    booking = Booking.objects.create(child=child, unit=unit, date=D(2025, 12, 3), enrolment=e, state="absent_billed",
                                     excuse="requested")
    booking.medical_certificate.save("certificat.pdf", SimpleUploadedFile("certificat.pdf", b"%PDF-1.4 x"))
    url = reverse("enrolment_staff:certificate_file", args=[booking.pk])
    client.force_login(user)
    assert client.get(url).status_code == 302  # parents are sent to the admin login
    client.force_login(staff_user)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    admin_page = client.get(reverse("admin:enrolment_booking_change", args=[booking.pk])).content.decode()
    assert "Ouvrir le certificat" in admin_page


def test_admin_pages_render(staff_client):
    activity, group, (unit,) = wednesdays_activity()
    for model in ("structure", "activitytype", "activity", "unit", "schoolholiday", "closureday", "capacityoverride",
                  "enrolment", "booking", "occupancy", "waitinglistentry", "calendarfeed"):
        assert staff_client.get(reverse(f"admin:enrolment_{model}_changelist")).status_code == 200, model
    for model in ("structure", "activity", "unit", "closureday", "capacityoverride", "schoolholiday"):
        assert staff_client.get(reverse(f"admin:enrolment_{model}_add")).status_code == 200, model
    assert staff_client.get(reverse("admin:enrolment_activity_change", args=[activity.pk])).status_code == 200
