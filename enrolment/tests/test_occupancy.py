"""The capacity service (enrolment/services/occupancy.py) and what builds on it: capacities read from the
database whatever a process has cached, staff cancellations, the counters' audit job, an admin without
raw deletion. Runs on PostgreSQL and on SQLite (scripts/test)."""
import datetime

import pytest
from django.urls import reverse

from enrolment import loaders, services, tasks
from enrolment.models import Booking, CapacityOverride, Occupancy, WaitingListEntry
from enrolment.services import BOOK, CANCEL, Change
from enrolment.services.occupancy import occupancy_lock, occupancy_mismatches, occupancy_save
from families.tests.factories import parent_with_family
from portal.errors import BookingError
from portal.models import AuditLog, JobRun, Organisation, OutboundEmail

from .factories import enrol, wednesdays_activity

pytestmark = pytest.mark.django_db
P = datetime.timezone(datetime.timedelta(hours=1))
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)  # December is open until 20 November
D = datetime.date
WED = D(2025, 12, 3)


def _families(activity, group, n):
    made = []
    for _ in range(n):
        user, family = parent_with_family(children=1)
        child = family.children.get()
        enrol(child, activity, group)
        made.append((user, family, child))
    return made


def _book(racer, unit, day=WED):
    user, family, child = racer
    try:
        services.booking_commit(family=family, by=user, now=NOW, changes=[Change(day, child.id, unit.id, BOOK)],
                                send_email=False)
    except BookingError as exc:
        assert "complet" in exc.details[0], exc.details
        return False
    return True


def _counter(unit, day=WED, group=None):
    return Occupancy.objects.get(unit=unit, group=group, date=day)


class TestCapacityFromTheDatabase:
    def test_an_override_lowered_behind_a_cached_catalogue_is_obeyed(self):
        """Staff lower a day's capacity through another server process: this process's catalogue still
        holds the old figure (no signal reached it), and bookings beyond the new capacity are refused."""
        activity, group, (unit,) = wednesdays_activity(capacity=8)
        override = CapacityOverride.objects.create(unit=unit, date=WED, capacity=8)
        racers = _families(activity, group, 6)
        assert _book(racers[0], unit)  # the day's counter exists, its capacity stored: 8
        assert loaders.catalogue().overrides[(unit.id, None, WED)] == 8  # warm, as in a running server
        CapacityOverride.objects.filter(pk=override.pk).update(capacity=4)  # no signal: the cache is stale
        assert loaders.catalogue().overrides[(unit.id, None, WED)] == 8
        assert [_book(r, unit) for r in racers[1:]] == [True, True, True, False, False]
        assert Booking.objects.filter(unit=unit, date=WED, state__in=Booking.HOLDING_STATES).count() == 4
        assert (_counter(unit).booked, _counter(unit).capacity) == (4, 4)

    def test_the_first_booking_of_a_day_is_decided_on_the_locked_counter(self):
        """No counter yet: the check before locking can only use the (stale) catalogue and lets the
        booking through; the capacity read in the locking statement refuses it, nothing is written."""
        activity, group, (unit,) = wednesdays_activity(capacity=8)
        override = CapacityOverride.objects.create(unit=unit, date=WED, capacity=8)
        (racer,) = _families(activity, group, 1)
        loaders.catalogue()
        CapacityOverride.objects.filter(pk=override.pk).update(capacity=0)
        assert not _book(racer, unit)
        assert not Booking.objects.exists() and not Occupancy.objects.exists()

    def test_a_group_override_lowered_behind_the_cache(self):
        activity, group, (unit,) = wednesdays_activity(capacity=10)
        group.capacity = 3
        group.save()
        override = CapacityOverride.objects.create(unit=unit, group=group, date=WED, capacity=3)
        racers = _families(activity, group, 3)
        loaders.catalogue()
        CapacityOverride.objects.filter(pk=override.pk).update(capacity=1)
        assert [_book(r, unit) for r in racers] == [True, False, False]
        assert (_counter(unit).booked, _counter(unit, group=group).booked) == (1, 1)

    def test_a_capacity_lowered_below_the_places_taken_keeps_them_and_takes_no_new_one(self):
        activity, group, (unit,) = wednesdays_activity(capacity=5)
        racers = _families(activity, group, 4)
        assert all(_book(r, unit) for r in racers[:3])
        CapacityOverride.objects.create(unit=unit, date=WED, capacity=2)
        assert not _book(racers[3], unit)  # refused before locking: the counter as read is full
        assert _counter(unit).booked == 3

        def cancel(racer):
            user, family, child = racer
            services.booking_commit(family=family, by=user, now=NOW, send_email=False,
                                    changes=[Change(WED, child.id, unit.id, CANCEL)])

        cancel(racers[0])
        # The three bookings stayed; a locked save writes the fresh capacity, never below the places taken.
        assert (_counter(unit).booked, _counter(unit).capacity) == (2, 2)
        assert not _book(racers[3], unit)  # 2 places taken for 2: still full
        cancel(racers[1])
        assert _book(racers[3], unit)
        assert (_counter(unit).booked, _counter(unit).capacity) == (2, 2)

    def test_a_raised_capacity_is_written_to_the_counter_and_used(self):
        activity, group, (unit,) = wednesdays_activity(capacity=1)
        racers = _families(activity, group, 2)
        assert _book(racers[0], unit)
        loaders.catalogue()
        unit.__class__.objects.filter(pk=unit.pk).update(capacity=2)  # stale catalogue: it still says 1
        # The check before locking uses the counter's fresh capacity (2): the booking goes through.
        assert _book(racers[1], unit)
        assert (_counter(unit).booked, _counter(unit).capacity) == (2, 2)

    def test_lock_creates_the_missing_counters_and_saves_only_locked_ones(self):
        activity, group, (unit,) = wednesdays_activity(capacity=2)
        keys = {(unit.id, None, WED), (unit.id, None, D(2025, 12, 10))}
        places = occupancy_lock(keys)
        assert {k: (c.booked, c.limit) for k, c in places.items()} == {k: (0, 2) for k in keys}
        assert places.take(unit.id, group, WED) and places.take(unit.id, group, WED)
        assert not places.take(unit.id, group, WED)
        occupancy_save(places)
        assert sorted(Occupancy.objects.values_list("date", "booked", "capacity")) == [
            (WED, 2, 2), (D(2025, 12, 10), 0, 2)]


def test_commit_query_count_does_not_grow_with_the_basket(django_assert_max_num_queries):
    """The configuration version (the catalogue is verified against the database), one read (bookings
    locked, children, enrolments, counters), the writes (bookings, the guardians' addresses and the recap
    e-mail), the counters locked last (created first when new): the same number of queries for one day as
    for four."""
    activity, group, (unit,) = wednesdays_activity(capacity=5)
    user, family, child = _families(activity, group, 1)[0]
    Organisation.current()
    loaders.catalogue()  # warm, as in a running server
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2026, 1, 7), child.id, unit.id, BOOK)])
    days = [D(2025, 12, 3) + datetime.timedelta(weeks=w) for w in range(5)]
    counts = []
    for basket in ([days[0]], days[1:]):
        for action in (BOOK, CANCEL, BOOK):  # new days, cancellations, days booked again
            with django_assert_max_num_queries(13) as captured:  # + the month's total in the recap e-mail
                services.booking_commit(family=family, by=user, now=NOW,
                                        changes=[Change(d, child.id, unit.id, action) for d in basket])
            counts.append(len(captured))
    assert counts[:3] == counts[3:], counts
    assert Booking.objects.filter(state="reserved").count() == 6
    assert all(c.booked == 1 for c in Occupancy.objects.all())


class TestStaffCancel:
    def test_frees_the_place_serves_the_waiting_list_emails_and_audits(self, staff_user,
                                                                       django_capture_on_commit_callbacks):
        activity, group, (unit,) = wednesdays_activity(capacity=1)
        first, second = _families(activity, group, 2)
        assert _book(first, unit) and not _book(second, unit)
        entry = services.waiting_list_join(child=second[2], unit=unit, date=WED, by=second[0], auto_book=True,
                                           now=NOW)
        booking = Booking.objects.get(child=first[2])
        with django_capture_on_commit_callbacks(execute=True):
            services.booking_cancel_by_staff(booking=booking, by=staff_user, reason="Sortie annulée (car en panne)",
                                             now=NOW)
        booking.refresh_from_db()
        entry.refresh_from_db()
        assert booking.state == "cancelled" and booking.decided_by == staff_user
        assert entry.status == "booked" and Booking.objects.get(child=second[2]).state == "reserved"
        assert _counter(unit).booked == 1
        mail = OutboundEmail.objects.get(template="booking_cancelled")
        assert mail.to == first[1].guardians.get().email
        assert "Sortie annulée (car en panne)" in mail.body_text and "03/12/2025" in mail.body_text
        log = AuditLog.objects.get(action="booking.cancel")
        assert log.actor == staff_user and log.family == first[1]
        assert log.old_values == {"state": "reserved"} and log.new_values["reason"] == "Sortie annulée (car en panne)"
        assert occupancy_mismatches(since=WED) == ([], 1)

    def test_needs_a_reason_and_a_booked_day(self, staff_user):
        activity, group, (unit,) = wednesdays_activity(capacity=1)
        (racer,) = _families(activity, group, 1)
        _book(racer, unit)
        booking = Booking.objects.get()
        with pytest.raises(BookingError, match="motif"):
            services.booking_cancel_by_staff(booking=booking, by=staff_user, reason="  ", now=NOW)
        services.booking_cancel_by_staff(booking=booking, by=staff_user, reason="Fermeture", now=NOW)
        with pytest.raises(BookingError, match="annulé"):
            services.booking_cancel_by_staff(booking=booking, by=staff_user, reason="Encore", now=NOW)
        assert _counter(unit).booked == 0
        assert OutboundEmail.objects.filter(template="booking_cancelled").count() == 1


class TestAudit:
    def test_reports_each_difference_and_never_fixes_it(self):
        activity, group, (unit,) = wednesdays_activity(capacity=5)
        group.capacity = 4
        group.save()
        racers = _families(activity, group, 2)
        days = [D(2025, 12, 3), D(2025, 12, 10)]
        for racer in racers:
            _book(racer, unit, days[0])
        _book(racers[0], unit, days[1])
        # A day before the job's date: not checked.
        Occupancy.objects.create(unit=unit, date=D(2025, 11, 19), booked=5, capacity=5)
        Occupancy.objects.filter(unit=unit, group=None, date=days[0]).update(booked=3)  # a lost cancellation
        # A booking written around the services (no place taken): its group counter and the unit's say 1.
        Booking.objects.filter(child=racers[1][2], date=days[0]).update(state="cancelled")
        before = sorted(Occupancy.objects.values_list("id", "booked", "capacity"))
        run_at = datetime.datetime(2025, 11, 25, 4, 45, tzinfo=P)
        first = tasks.occupancy_audit(now=run_at)
        second = tasks.occupancy_audit(now=run_at)
        assert first["status"] == second["status"] == "success"
        assert first["counts"] == second["counts"] == {"compteurs vérifiés": 4, "écarts": 2}
        summary = JobRun.objects.get(pk=first["job_run"]).summary
        assert f"{activity.name} – {unit.name}, 03/12/2025 : le compteur indique 3 place(s) prise(s), 1 " in summary
        assert f"groupe « {group.name} », 03/12/2025 : le compteur indique 2 place(s) prise(s), 1 " in summary
        assert "10/12/2025" not in summary and "19/11/2025" not in summary
        assert sorted(Occupancy.objects.values_list("id", "booked", "capacity")) == before

    def test_a_booking_without_counter_is_reported(self):
        activity, group, (unit,) = wednesdays_activity(capacity=5)
        (racer,) = _families(activity, group, 1)
        enrolment = racer[2].enrolments.get()
        Booking.objects.create(child=racer[2], unit=unit, date=WED, enrolment=enrolment, state="reserved")
        mismatches, compared = occupancy_mismatches(since=D(2025, 11, 1))
        assert compared == 0
        assert [(m.unit_id, m.group_id, m.date, m.counted, m.held) for m in mismatches] == [
            (unit.id, None, WED, 0, 1)]


class TestAdmin:
    @pytest.fixture
    def staff_client(self, client, staff_user):
        client.force_login(staff_user)
        return client

    def test_no_raw_deletion_of_bookings_or_counters(self, staff_client):
        activity, group, (unit,) = wednesdays_activity()
        (racer,) = _families(activity, group, 1)
        _book(racer, unit)
        booking, counter = Booking.objects.get(), Occupancy.objects.get()
        page = staff_client.get(reverse("admin:enrolment_booking_changelist")).content.decode()
        assert "delete_selected" not in page and "Annuler la réservation" in page
        assert "delete_selected" not in staff_client.get(reverse("admin:enrolment_occupancy_changelist")).content.decode()
        assert staff_client.get(reverse("admin:enrolment_booking_delete", args=[booking.pk])).status_code == 403
        assert staff_client.get(reverse("admin:enrolment_occupancy_delete", args=[counter.pk])).status_code == 403
        response = staff_client.post(reverse("admin:enrolment_occupancy_change", args=[counter.pk]), {"booked": 0})
        assert response.status_code == 403
        assert Booking.objects.filter(pk=booking.pk).exists() and _counter(unit).booked == 1

    def test_cancel_action_asks_the_reason_then_cancels_through_the_service(self, staff_client):
        activity, group, (unit,) = wednesdays_activity()
        (racer,) = _families(activity, group, 1)
        _book(racer, unit)
        booking = Booking.objects.get()
        url = reverse("admin:enrolment_booking_changelist")
        form = staff_client.post(url, {"action": "cancel", "_selected_action": [booking.pk]})
        assert form.status_code == 200 and "Motif de l&#x27;annulation" in form.content.decode()
        refused = staff_client.post(url, {"action": "cancel", "_selected_action": [booking.pk], "apply": "1",
                                          "reason": ""})
        assert refused.status_code == 200 and Booking.objects.get().state == "reserved"
        done = staff_client.post(url, {"action": "cancel", "_selected_action": [booking.pk], "apply": "1",
                                       "reason": "Centre fermé"}, follow=True)
        assert "1 réservation(s) annulée(s)" in done.content.decode()
        assert Booking.objects.get().state == "cancelled" and _counter(unit).booked == 0
        assert OutboundEmail.objects.filter(template="booking_cancelled").count() == 1
        assert WaitingListEntry.objects.count() == 0
