import datetime
import functools
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from enrolment import selectors, services
from enrolment.models import Booking, ClosureDay, Enrolment, Occupancy, Unit, WaitingListEntry
from enrolment.selectors import booking_confirmation
from enrolment.services import BOOK, CANCEL, Change
from enrolment.services import commit as commit_module
from enrolment.services import enrolment as enrolment_services
from families.tests.factories import ChildFactory, parent_with_family
from portal.errors import BookingError, EnrolmentError
from portal.mail import _outbox_row, email_queue, outbox_insert
from portal.models import AuditLog, OutboundEmail
from portal.tests.concurrency import run_in_threads

from .factories import GroupFactory, enrol, school_holidays_2025_2026, wednesdays_activity

pytestmark = pytest.mark.django_db
P = datetime.timezone(datetime.timedelta(hours=1))
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)  # December is open until 20 November
D = datetime.date
# Races need row locks and concurrent connections: these run in the PostgreSQL run only (scripts/test runs
# this module on SQLite too, where a write locks the whole database).
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="row locks and concurrent connections: PostgreSQL run only")


@pytest.fixture
def setup():
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(capacity=3)
    enrolment = enrol(child, activity, group)
    return user, family, child, activity, group, unit, enrolment


class TestCommit:
    def test_books_and_counts_and_emails(self, setup, django_capture_on_commit_callbacks):
        user, family, child, activity, group, unit, enrolment = setup
        with django_capture_on_commit_callbacks(execute=True):
            result = services.booking_commit(
                family=family, by=user, now=NOW,
                changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK), Change(D(2025, 12, 10), child.id, unit.id, BOOK)],
            )
        assert len(result["booked"]) == 2
        assert set(Booking.objects.values_list("date", "state")) == {(D(2025, 12, 3), "reserved"),
                                                                    (D(2025, 12, 10), "reserved")}
        assert Occupancy.objects.get(unit=unit, date=D(2025, 12, 3)).booked == 1
        mail = OutboundEmail.objects.get()
        assert mail.template == "booking_recap" and "03/12/2025" in mail.body_text

    def test_cancel_frees_the_place(self, setup):
        user, family, child, activity, group, unit, enrolment = setup
        day = D(2025, 12, 3)
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(day, child.id, unit.id, BOOK)])
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(day, child.id, unit.id, CANCEL)])
        assert Booking.objects.get().state == "cancelled"
        assert Occupancy.objects.get(unit=unit, date=day).booked == 0
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(day, child.id, unit.id, BOOK)])
        assert Booking.objects.get().state == "reserved"
        assert Occupancy.objects.get(unit=unit, date=day).booked == 1

    def test_all_or_nothing_with_a_message_per_refused_day(self, setup):
        user, family, child, activity, group, unit, enrolment = setup
        changes = [
            Change(D(2025, 12, 3), child.id, unit.id, BOOK),  # fine
            Change(D(2025, 12, 4), child.id, unit.id, BOOK),  # Thursday: closed
            Change(D(2025, 11, 26), child.id, unit.id, BOOK),  # past the 20 October deadline
        ]
        with pytest.raises(BookingError) as exc:
            services.booking_commit(family=family, by=user, now=NOW, changes=changes)
        assert len(exc.value.details) == 2
        assert "Hors délai" in exc.value.details[0] and "20/10/2025 à 23 h 59" in exc.value.details[0]
        assert "fermé" in exc.value.details[1]
        assert not Booking.objects.exists()
        assert not Occupancy.objects.filter(booked__gt=0).exists()

    def test_deadline_edges_in_paris_time(self, setup):
        user, family, child, activity, group, unit, enrolment = setup
        change = [Change(D(2025, 12, 3), child.id, unit.id, BOOK)]
        last_minute = datetime.datetime(2025, 11, 20, 23, 59, 59, tzinfo=P)
        with pytest.raises(BookingError):
            services.booking_commit(family=family, by=user, now=last_minute + datetime.timedelta(seconds=1),
                                    changes=change)
        services.booking_commit(family=family, by=user, now=last_minute, changes=change)
        assert Booking.objects.count() == 1

    def test_only_validated_enrolments(self, setup):
        user, family, child, activity, group, unit, enrolment = setup
        Enrolment.objects.filter(pk=enrolment.pk).update(status="pending")
        with pytest.raises(BookingError) as exc:
            services.booking_commit(family=family, by=user, now=NOW,
                                    changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
        assert "pas d'inscription validée" in exc.value.details[0]

    def test_public_holiday_and_closure_refused(self, setup):
        user, family, child, activity, group, unit, enrolment = setup
        ClosureDay.objects.create(activity=activity, date=D(2025, 12, 10), reason="Inventaire")
        with pytest.raises(BookingError) as exc:
            services.booking_commit(family=family, by=user, now=NOW,
                                    changes=[Change(D(2025, 12, 10), child.id, unit.id, BOOK)])
        assert "inventaire" in exc.value.details[0]

    def test_other_family_child_refused(self, setup):
        user, family, child, activity, group, unit, enrolment = setup
        _, other = parent_with_family(children=1)
        stranger = other.children.get()
        enrol(stranger, activity, group)
        with pytest.raises(BookingError):
            services.booking_commit(family=family, by=user, now=NOW,
                                    changes=[Change(D(2025, 12, 3), stranger.id, unit.id, BOOK)])
        assert not Booking.objects.exists()

    def test_needs_approval_gives_requested_then_staff_decide(self, setup, staff_user):
        user, family, child, activity, group, unit, enrolment = setup
        activity.bookings_need_approval = True
        activity.save()
        services.booking_commit(family=family, by=user, now=NOW,
                                changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
        booking = Booking.objects.get()
        assert booking.state == "requested"
        assert Occupancy.objects.get(unit=unit, date=booking.date).booked == 1
        with pytest.raises(BookingError):
            services.booking_decide(booking=booking, accept=False, by=staff_user, reason="")
        services.booking_decide(booking=booking, accept=False, by=staff_user, reason="Groupe complet")
        booking.refresh_from_db()
        assert booking.state == "refused" and booking.refusal_reason == "Groupe complet"
        assert Occupancy.objects.get(unit=unit, date=booking.date).booked == 0
        assert AuditLog.objects.filter(action="booking.decide").count() == 1
        assert OutboundEmail.objects.filter(template="booking_decision").count() == 1


class TestUnitRules:
    def test_incompatible_and_dependent_units(self):
        user, family = parent_with_family(children=1)
        child = family.children.get()
        activity, group, (day_unit, morning, afternoon, meal) = wednesdays_activity(
            units=("Journée", "Matin", "Après-midi", "Repas"))
        day_unit.incompatible_units.set([morning, afternoon])
        meal.required_units.set([morning, afternoon])
        enrol(child, activity, group)
        wed = D(2025, 12, 3)
        with pytest.raises(BookingError) as exc:
            services.booking_commit(family=family, by=user, now=NOW, changes=[
                Change(wed, child.id, day_unit.id, BOOK), Change(wed, child.id, morning.id, BOOK)])
        assert "ne peuvent pas être réservés le même jour" in exc.value.details[0]
        with pytest.raises(BookingError) as exc:
            services.booking_commit(family=family, by=user, now=NOW, changes=[Change(wed, child.id, meal.id, BOOK)])
        assert "nécessite aussi" in exc.value.details[0]
        services.booking_commit(family=family, by=user, now=NOW, changes=[
            Change(wed, child.id, meal.id, BOOK), Change(wed, child.id, morning.id, BOOK)])
        # Cancelling the presence unit while keeping the meal is refused too.
        with pytest.raises(BookingError):
            services.booking_commit(family=family, by=user, now=NOW, changes=[Change(wed, child.id, morning.id, CANCEL)])
        assert Booking.objects.filter(state="reserved").count() == 2


class TestCapacity:
    def test_full_day_is_refused_and_waiting_list_serves_next(self, setup, django_capture_on_commit_callbacks):
        user, family, child, activity, group, unit, enrolment = setup
        unit.capacity = 1
        unit.save()
        wed = D(2025, 12, 3)
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(wed, child.id, unit.id, BOOK)])
        u2, fam2 = parent_with_family(children=1)
        c2 = fam2.children.get()
        enrol(c2, activity, group)
        with pytest.raises(BookingError) as exc:
            services.booking_commit(family=fam2, by=u2, now=NOW, changes=[Change(wed, c2.id, unit.id, BOOK)])
        assert "complet" in exc.value.details[0]
        entry = services.waiting_list_join(child=c2, unit=unit, date=wed, by=u2, auto_book=True, now=NOW)
        assert entry.status == "waiting"
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_commit(family=family, by=user, now=NOW, changes=[Change(wed, child.id, unit.id, CANCEL)])
        entry.refresh_from_db()
        assert entry.status == "booked"
        assert Booking.objects.get(child=c2).state == "reserved"
        assert Occupancy.objects.get(unit=unit, date=wed).booked == 1

    def test_cancelling_several_full_days_serves_each_waiting_list_in_one_task(self, setup,
                                                                               django_capture_on_commit_callbacks):
        user, family, child, activity, group, unit, enrolment = setup
        unit.capacity = 1
        unit.save()
        days = [D(2025, 12, 3), D(2025, 12, 10)]
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(d, child.id, unit.id, BOOK)
                                                                          for d in days])
        u2, fam2 = parent_with_family(children=1)
        c2 = fam2.children.get()
        enrol(c2, activity, group)
        entries = [services.waiting_list_join(child=c2, unit=unit, date=d, by=u2, auto_book=True, now=NOW)
                   for d in days]
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.booking_commit(family=family, by=user, now=NOW, changes=[Change(d, child.id, unit.id, CANCEL)
                                                                              for d in days])
        # One task serves both days (then the served family's own recap e-mails are dispatched).
        queued = [c.args[0] for c in callbacks if isinstance(c, functools.partial)]  # portal.queue's callbacks
        assert queued == ["enrolment.tasks.waiting_list_serve_days"]
        assert [WaitingListEntry.objects.get(pk=e.pk).status for e in entries] == ["booked", "booked"]
        assert sorted(Booking.objects.filter(child=c2, state="reserved").values_list("date", flat=True)) == days
        assert [Occupancy.objects.get(unit=unit, date=d).booked for d in days] == [1, 1]

    def test_booking_a_day_closes_the_childs_waiting_list_entry(self, setup):
        user, family, child, activity, group, unit, enrolment = setup
        wed = D(2025, 12, 3)
        other = D(2025, 12, 10)
        # The entry is made directly: the day is not full, as when a place freed while no offer ran.
        entry = WaitingListEntry.objects.create(child=child, unit=unit, date=wed, enrolment=enrolment, created_at=NOW)
        elsewhere = WaitingListEntry.objects.create(child=child, unit=unit, date=other, enrolment=enrolment,
                                                    created_at=NOW)
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(wed, child.id, unit.id, BOOK)])
        entry.refresh_from_db()
        elsewhere.refresh_from_db()
        assert (entry.status, elsewhere.status) == ("booked", "waiting")

    def test_waiting_list_offer_expires_to_next_child(self, setup, django_capture_on_commit_callbacks):
        user, family, child, activity, group, unit, enrolment = setup
        unit.capacity = 1
        unit.save()
        wed = D(2025, 12, 3)
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(wed, child.id, unit.id, BOOK)])
        waiting = []
        for i in range(2):
            u, f = parent_with_family(children=1)
            c = f.children.get()
            enrol(c, activity, group)
            waiting.append(services.waiting_list_join(child=c, unit=unit, date=wed, by=u, now=NOW
                                                      + datetime.timedelta(minutes=i)))
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_commit(family=family, by=user, now=NOW, changes=[Change(wed, child.id, unit.id, CANCEL)])
        first, second = (WaitingListEntry.objects.get(pk=e.pk) for e in waiting)
        assert first.status == "offered" and second.status == "waiting"
        assert OutboundEmail.objects.filter(template="waiting_list_offer").count() == 1
        later = NOW + datetime.timedelta(hours=25)
        assert services.waiting_list_expire_offers(now=later) == 1
        assert services.waiting_list_expire_offers(now=later) == 0
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.status == "expired" and second.status == "offered"
        assert OutboundEmail.objects.filter(template="waiting_list_offer").count() == 2

    def test_group_capacity_counter(self, setup):
        user, family, child, activity, group, unit, enrolment = setup
        group.capacity = 1
        group.save()
        other_group = GroupFactory(activity=activity, name="Maternelle")
        wed = D(2025, 12, 3)
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(wed, child.id, unit.id, BOOK)])
        u2, f2 = parent_with_family(children=1)
        c2 = f2.children.get()
        enrol(c2, activity, group)
        with pytest.raises(BookingError):
            services.booking_commit(family=f2, by=u2, now=NOW, changes=[Change(wed, c2.id, unit.id, BOOK)])
        u3, f3 = parent_with_family(children=1)
        c3 = f3.children.get()
        enrol(c3, activity, other_group)
        services.booking_commit(family=f3, by=u3, now=NOW, changes=[Change(wed, c3.id, unit.id, BOOK)])
        assert Occupancy.objects.get(unit=unit, group=None, date=wed).booked == 2
        assert Occupancy.objects.get(unit=unit, group=group, date=wed).booked == 1

    def test_database_constraint_is_a_backstop(self, setup):
        *_, unit, enrolment = setup
        row = Occupancy.objects.create(unit=unit, date=D(2025, 12, 3), booked=3, capacity=3)
        with pytest.raises(IntegrityError), transaction.atomic():
            Occupancy.objects.filter(pk=row.pk).update(booked=4)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_twenty_families_race_for_five_places():
    activity, group, (unit,) = wednesdays_activity(capacity=5)
    wed = D(2025, 12, 3)
    families = []
    for _ in range(20):
        user, family = parent_with_family(children=1)
        child = family.children.get()
        enrol(child, activity, group)
        families.append((user, family, child))
    barrier = threading.Barrier(20)
    outcomes = []
    lock = threading.Lock()

    def book(user, family, child):
        try:
            barrier.wait()
            try:
                services.booking_commit(family=family, by=user, now=NOW, changes=[Change(wed, child.id, unit.id, BOOK)],
                                        send_email=False)
                result = "ok"
            except BookingError as exc:
                assert "complet" in exc.details[0]
                services.waiting_list_join(child=child, unit=unit, date=wed, by=user, now=NOW)
                result = "refused"
            with lock:
                outcomes.append(result)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=f) for f in families]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes).count("ok") == 5
    assert outcomes.count("refused") == 15
    assert Booking.objects.filter(unit=unit, date=wed, state="reserved").count() == 5
    assert Occupancy.objects.get(unit=unit, date=wed).booked == 5
    assert WaitingListEntry.objects.filter(unit=unit, date=wed, status="waiting").count() == 15


class TestPrebook:
    def test_regular_units_every_opening_day_skipping_holidays_and_closures(self):
        school_holidays_2025_2026()
        user, family = parent_with_family(children=1)
        child = family.children.get()
        activity, group, (morning, evening) = wednesdays_activity(units=("Matin", "Soir"), prebook_regular=True)
        activity.opening_periods.update(wednesday=False, monday=True, tuesday=True, thursday=True, friday=True)
        Unit.objects.filter(pk=morning.pk).update(is_regular=True)
        ClosureDay.objects.create(structure=activity.activity_type.structure, date=D(2025, 11, 14), reason="Pont")
        enrolment = enrol(child, activity, group)
        now = datetime.datetime(2025, 11, 3, 8, 0, tzinfo=P)
        created = services.enrolment_prebook(enrolment=enrolment, end=D(2025, 11, 21), now=now)
        dates = sorted(Booking.objects.values_list("date", flat=True))
        expected = [D(2025, 11, d) for d in (3, 4, 6, 7, 10, 13, 17, 18, 20, 21)]  # 11 Nov holiday, 14 closure
        assert dates == expected and created == len(expected)
        assert set(Booking.objects.values_list("unit_id", flat=True)) == {morning.pk}
        assert services.enrolment_prebook(enrolment=enrolment, end=D(2025, 11, 21), now=now) == 0
        assert Occupancy.objects.get(unit=morning, date=D(2025, 11, 3)).booked == 1

    def test_cancelled_day_is_not_rebooked(self):
        user, family = parent_with_family(children=1)
        child = family.children.get()
        activity, group, (unit,) = wednesdays_activity(prebook_regular=True)
        Unit.objects.filter(pk=unit.pk).update(is_regular=True)
        enrolment = enrol(child, activity, group)
        services.enrolment_prebook(enrolment=enrolment, end=D(2025, 12, 31), now=NOW)
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 10), child.id, unit.id,
                                                                                 CANCEL)])
        assert services.enrolment_prebook(enrolment=enrolment, end=D(2025, 12, 31), now=NOW) == 0
        assert Booking.objects.get(date=D(2025, 12, 10)).state == "cancelled"


class TestEnrolment:
    def test_auto_validate_prebooks(self):
        user, family = parent_with_family(children=1)
        child = family.children.get()
        activity, group, (unit,) = wednesdays_activity(prebook_regular=True)
        Unit.objects.filter(pk=unit.pk).update(is_regular=True)
        enrolment = services.enrolment_request(child=child, activity=activity, group=group, by=user,
                                               now=datetime.datetime(2026, 6, 1, 9, 0, tzinfo=P))
        assert enrolment.status == "validated"
        assert list(Booking.objects.values_list("date", flat=True)) == [D(2026, 6, d) for d in (3, 10, 17, 24)] + [
            D(2026, 7, 1)]

    def test_pending_then_refused_with_reason(self, staff_user):
        user, family = parent_with_family(children=1)
        child = family.children.get()
        activity, group, _ = wednesdays_activity(auto_validate=False)
        enrolment = services.enrolment_request(child=child, activity=activity, group=group, by=user, now=NOW)
        assert enrolment.status == "pending"
        with pytest.raises(EnrolmentError):
            services.enrolment_request(child=child, activity=activity, group=group, by=user, now=NOW)
        services.enrolment_decide(enrolment=enrolment, accept=False, by=staff_user, reason="Groupe complet")
        enrolment.refresh_from_db()
        assert enrolment.status == "refused" and enrolment.refusal_reason == "Groupe complet"
        assert AuditLog.objects.filter(action="enrolment.decide").exists()
        assert OutboundEmail.objects.filter(template="enrolment_decision").exists()

    def test_window_and_eligibility(self):
        user, family = parent_with_family(children=1)
        child = family.children.get()
        activity, group, _ = wednesdays_activity(enrolment_opens=D(2025, 3, 10), enrolment_closes=D(2025, 8, 20))
        with pytest.raises(EnrolmentError) as exc:
            services.enrolment_request(child=child, activity=activity, group=group, by=user, now=NOW)
        assert "closes depuis le 20/08/2025" in exc.value.message
        activity.enrolment_closes = None
        activity.save()
        group.school_stage = "maternelle"
        group.save()
        with pytest.raises(EnrolmentError) as exc:
            services.enrolment_request(child=child, activity=activity, group=group, by=user, now=NOW)
        assert "maternelle" in exc.value.message

    def test_siblings_each_checked(self):
        user, family = parent_with_family(children=1)
        big = family.children.get()
        small = ChildFactory(family=family, school_level="MS", birth_date=D(2021, 4, 2))
        activity, group, _ = wednesdays_activity()
        group.school_stage = "elementaire"
        group.save()
        results = services.enrolment_request_siblings(requests=[(big, group), (small, group)], activity=activity,
                                                      by=user, now=NOW)
        assert results[0].enrolment.status == "validated" and not results[0].error
        assert results[1].enrolment is None and "élémentaire" in results[1].error


class TestAbsence:
    def test_before_notice_is_free_after_is_billed_then_excused(self, setup, staff_user):
        user, family, child, activity, group, unit, enrolment = setup
        activity.notice_days, activity.notice_time = 2, datetime.time(12, 0)
        activity.save()
        for day in (D(2025, 12, 3), D(2025, 12, 10)):
            services.booking_commit(family=family, by=user, now=NOW, changes=[Change(day, child.id, unit.id, BOOK)])
        early = Booking.objects.get(date=D(2025, 12, 10))
        b = services.booking_declare_absence(booking=early, by=user, now=datetime.datetime(2025, 12, 8, 11, 0,
                                                                                           tzinfo=P))
        assert b.state == "cancelled"
        late = Booking.objects.get(date=D(2025, 12, 3))

        cert = SimpleUploadedFile("certificat.pdf", b"%PDF-1.4 test", content_type="application/pdf")
        b = services.booking_declare_absence(booking=late, by=user, certificate=cert,
                                             now=datetime.datetime(2025, 12, 1, 12, 0, tzinfo=P))
        assert b.state == "absent_billed" and b.excuse == "requested"
        assert Occupancy.objects.get(unit=unit, date=D(2025, 12, 3)).booked == 1
        # While staff have not decided, the calendars say the certificate is being examined.

        days = selectors.calendar_days(enrolment=enrolment, start=D(2025, 12, 3), end=D(2025, 12, 3), now=NOW)
        assert days[0].cells[0].text == "Journée : Absence : justificatif en cours d'examen"
        assert days[0].cells[0].mode == "locked"
        services.booking_excuse(booking=b, accept=True, by=staff_user)
        b.refresh_from_db()
        assert b.state == "excused"
        # The family is told, by e-mail, that the absence is excused.
        mail = OutboundEmail.objects.get(template="absence_excuse")
        assert mail.subject.endswith("Absence excusée") and "est excusée" in mail.body_text
        assert child.first_name in mail.body_text
        services.booking_excuse(booking=b, accept=True, by=staff_user)  # the same decision again: no new e-mail
        assert OutboundEmail.objects.filter(template="absence_excuse").count() == 1

    def test_attendance(self, setup, staff_user):
        user, family, child, activity, group, unit, enrolment = setup
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 3), child.id, unit.id,
                                                                                 BOOK)])
        b = Booking.objects.get()
        assert services.attendance_mark(booking=b, present=True, by=staff_user).state == "present"
        assert services.attendance_mark(booking=b, present=False, by=staff_user).state == "absent_billed"


def test_activity_requiring_complete_file(monkeypatch):
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, _ = wednesdays_activity(requires_complete_file=True)
    monkeypatch.setattr(enrolment_services, "_file_complete", lambda family, now: False)
    with pytest.raises(EnrolmentError) as exc:
        services.enrolment_request(child=child, activity=activity, group=group, by=user, now=NOW)
    assert "dossier famille complet" in exc.value.message
    monkeypatch.setattr(enrolment_services, "_file_complete", lambda family, now: True)
    assert services.enrolment_request(child=child, activity=activity, group=group, by=user, now=NOW).pk


def _assert_counters_equal_bookings(unit, capacity):
    """Every counter of ``unit`` equals the bookings holding a place, and none is over ``capacity``."""
    held = dict(Booking.objects.filter(unit=unit, state__in=Booking.HOLDING_STATES).values_list("date")
                .annotate(n=Count("id")).values_list("date", "n"))
    counters = dict(Occupancy.objects.filter(unit=unit, group=None).values_list("date", "booked"))
    assert {d: n for d, n in counters.items() if n} == held
    assert all(n <= capacity for n in counters.values()), counters


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_racers_book_and_cancel_the_same_days_without_overbooking_or_deadlock():
    """The benchmark's race in small: families book the same four Wednesdays (three places each), those
    refused drop the full days and commit the others, then some cancel and book again — all at once.
    Only clear « complet » refusals; counters equal the bookings; nobody over capacity; no deadlock."""
    activity, group, (unit,) = wednesdays_activity(capacity=3)
    days = [D(2025, 12, 3), D(2025, 12, 10), D(2025, 12, 17), D(2025, 12, 24)]
    racers = []
    for _ in range(8):
        user, family = parent_with_family(children=1)
        child = family.children.get()
        enrol(child, activity, group)
        racers.append((user, family, child))
    pending = list(racers)
    lock = threading.Lock()
    refusals = []

    def commit(user, family, changes):
        try:
            services.booking_commit(family=family, by=user, now=NOW, changes=changes, send_email=False)
            return []
        except BookingError as exc:
            assert all("complet" in d for d in exc.details), exc.details
            with lock:
                refusals.append(exc)
            return [d for d in days if any(f"{d:%d/%m/%Y}" in text for text in exc.details)]

    def race():
        with lock:
            user, family, child = pending.pop()
        for round_ in range(3):
            full = commit(user, family, [Change(d, child.id, unit.id, BOOK) for d in days])
            if full and len(full) < len(days):
                commit(user, family, [Change(d, child.id, unit.id, BOOK) for d in days if d not in full])
            if round_ < 2 and child.id % 2:
                commit(user, family, [Change(d, child.id, unit.id, CANCEL) for d in days])

    assert run_in_threads(race, count=len(racers)) == []
    assert refusals  # 8 families for 3 places: the race did refuse
    _assert_counters_equal_bookings(unit, 3)
    assert all(Occupancy.objects.get(unit=unit, group=None, date=d).booked == 3 for d in days)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_day_filled_between_the_checks_and_the_counters_rolls_the_basket_back(monkeypatch):
    """Another family takes the last place after this commit's checks (read without lock) and before its
    counters (locked last): the whole basket is refused with « complet », nothing of it written."""
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(capacity=2)
    enrol(child, activity, group)
    wed, other = D(2025, 12, 3), D(2025, 12, 10)
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(other, child.id, unit.id, BOOK)],
                            send_email=False)
    rival_user, rival = parent_with_family(children=1)
    rival_child = rival.children.get()
    enrol(rival_child, activity, group)
    Occupancy.objects.create(unit=unit, date=wed, booked=1, capacity=2)
    emails_before = OutboundEmail.objects.count()
    real_email = commit_module.booking_recap_email

    def email_then_rival_fills_the_day(**kwargs):
        real_email(**kwargs)  # the recap is recorded in the outbox (then rolled back with the rest)
        thread = threading.Thread(target=_in_own_connection, args=(
            lambda: Occupancy.objects.filter(unit=unit, date=wed, group=None).update(booked=2),))
        thread.start()
        thread.join()

    monkeypatch.setattr(commit_module, "booking_recap_email", email_then_rival_fills_the_day)
    with pytest.raises(BookingError) as exc:
        services.booking_commit(family=family, by=user, now=NOW, changes=[
            Change(wed, child.id, unit.id, BOOK), Change(other, child.id, unit.id, CANCEL)])
    assert "complet" in exc.value.details[0] and "03/12/2025" in exc.value.details[0]
    assert not Booking.objects.filter(date=wed).exists()
    assert Booking.objects.get(date=other).state == "reserved"  # the cancellation went back too
    assert Occupancy.objects.get(unit=unit, date=wed, group=None).booked == 2
    assert Occupancy.objects.get(unit=unit, date=other, group=None).booked == 1
    assert OutboundEmail.objects.count() == emails_before


def _in_own_connection(func):
    try:
        func()
    finally:
        connection.close()


def test_recap_email_row_is_the_one_email_queue_records(setup):
    """The recap goes through email_queue_many's plain INSERT: the same row email_queue would record."""
    user, family, child, activity, group, unit, enrolment = setup
    result = services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 3), child.id,
                                                                                       unit.id, BOOK)])
    bulk = OutboundEmail.objects.get(template="booking_recap")

    recap = booking_confirmation(family=family, booked=result["booked"], cancelled=[])
    single = email_queue(to=bulk.to, template="booking_recap", context={"family": family, "recap": recap},
                         related=family)
    fields = ("to", "subject", "body_text", "body_html", "template", "related_label", "related_type", "related_id",
              "status", "attempts", "last_error", "sent_at", "next_attempt_at", "body_purged_at")
    assert [getattr(bulk, f) for f in fields] == [getattr(single, f) for f in fields]
    assert bulk.created_at is not None and bulk.queued_at is not None and "Mercredi 03/12/2025" in bulk.body_text
    assert result["emails"] == [bulk.to]


def test_outbox_insert_sets_ids_batch_after_batch():
    now = timezone.now()
    rows = [_outbox_row(to=f"p{i}@example.org", subject=f"Sujet {i}", body_text="L'été", body_html="<p>é</p>",
                        template="t", related=None, queued_at=now) for i in range(5)]
    for row in rows:
        row.created_at = now
    outbox_insert(rows, batch_size=2)
    assert all(r.pk for r in rows) and [r.pk for r in rows] == sorted(r.pk for r in rows)
    assert [(e.pk, e.to, e.subject, e.body_text) for e in OutboundEmail.objects.order_by("pk")] == [
        (r.pk, r.to, r.subject, "L'été") for r in rows]


@postgresql_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("capacity", [2, 1])
def test_a_days_first_counter_created_by_another_commit_meanwhile(monkeypatch, capacity):
    """Nobody had booked the day yet (no counter) when this commit read it; another family's commit
    creates the counter, its place taken, before this one writes its counters: this one then locks and
    updates that counter (its place taken too), or is refused when it was the last place."""
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(capacity=capacity)
    enrol(child, activity, group)
    wed = D(2025, 12, 3)
    real_write = commit_module._write_bookings

    def write_then_rival_books(*args, **kwargs):
        result = real_write(*args, **kwargs)
        thread = threading.Thread(target=_in_own_connection, args=(
            lambda: Occupancy.objects.create(unit=unit, date=wed, booked=1, capacity=capacity),))
        thread.start()
        thread.join()
        return result

    monkeypatch.setattr(commit_module, "_write_bookings", write_then_rival_books)
    changes = [Change(wed, child.id, unit.id, BOOK)]
    if capacity == 1:
        with pytest.raises(BookingError) as exc:
            services.booking_commit(family=family, by=user, now=NOW, changes=changes, send_email=False)
        assert "complet" in exc.value.details[0]
        assert not Booking.objects.exists()
    else:
        services.booking_commit(family=family, by=user, now=NOW, changes=changes, send_email=False)
        assert Booking.objects.get().state == "reserved"
    assert Occupancy.objects.get(unit=unit, date=wed, group=None).booked == min(2, capacity)


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_same_family_committing_the_same_new_days_twice_at_once():
    """Two tabs of one family press « Terminer » together on days never booked: one books them, the other
    finds them booked (its colliding insert is retried) — no error, one booking and one place each."""
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(capacity=5)
    enrol(child, activity, group)
    days = [D(2025, 12, 3), D(2025, 12, 10)]
    errors = run_in_threads(lambda: services.booking_commit(
        family=family, by=user, now=NOW, changes=[Change(d, child.id, unit.id, BOOK) for d in days], send_email=False),
        count=4)
    assert errors == []
    assert Booking.objects.filter(state="reserved").count() == 2
    _assert_counters_equal_bookings(unit, 5)
