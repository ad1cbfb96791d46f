import datetime

import pytest

from enrolment import services, tasks
from enrolment.models import BookingWindow, DeadlineReminder, Unit, WaitingListEntry
from enrolment.services import BOOK, CANCEL, Change
from families.tests.factories import parent_with_family
from portal.celery import app
from portal.models import OutboundEmail

from .factories import enrol, wednesdays_activity

pytestmark = pytest.mark.django_db
P = datetime.timezone(datetime.timedelta(hours=1))
D = datetime.date


def test_deadline_reminders_once_and_only_to_families_without_bookings():
    activity, group, (unit,) = wednesdays_activity()
    u1, lazy = parent_with_family(children=1)
    u2, early = parent_with_family(children=1)
    enrol(lazy.children.get(), activity, group)
    child = early.children.get()
    enrol(child, activity, group)
    services.booking_commit(family=early, by=u2, now=datetime.datetime(2025, 11, 10, tzinfo=P), send_email=False,
                            changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
    now = datetime.datetime(2025, 11, 17, 10, 0, tzinfo=P)  # 3 days before the 20th
    first = tasks.deadline_reminders(now=now)
    second = tasks.deadline_reminders(now=now)
    assert first["status"] == "success"
    mails = OutboundEmail.objects.filter(template="deadline_reminder")
    assert [m.to for m in mails] == [lazy.guardians.get().email]
    assert "20/11/2025" in mails[0].subject
    assert DeadlineReminder.objects.count() == 1
    assert second["counts"].get("rappels envoyés", 0) == 0
    # Too early: nothing.
    tasks.deadline_reminders(now=datetime.datetime(2025, 11, 5, 10, 0, tzinfo=P))
    assert mails.count() == 1


def test_window_reminder():
    activity, group, _ = wednesdays_activity(rule="window")
    BookingWindow.objects.create(activity=activity, name="Hiver 2026", period_start=D(2026, 2, 9),
                                 period_end=D(2026, 2, 20), opens_on=D(2026, 1, 5), closes_on=D(2026, 2, 4))
    _, family = parent_with_family(children=1)
    enrol(family.children.get(), activity, group)
    tasks.deadline_reminders(now=datetime.datetime(2026, 2, 1, 10, 0, tzinfo=P))
    tasks.deadline_reminders(now=datetime.datetime(2026, 2, 2, 10, 0, tzinfo=P))
    assert OutboundEmail.objects.filter(template="deadline_reminder").count() == 1


def test_prebook_job_twice_creates_once():
    activity, group, (unit,) = wednesdays_activity(prebook_regular=True)
    Unit.objects.filter(pk=unit.pk).update(is_regular=True)
    _, family = parent_with_family(children=1)
    enrol(family.children.get(), activity, group)
    now = datetime.datetime(2025, 11, 3, 2, 15, tzinfo=P)
    first = tasks.prebook_upcoming(now=now)
    second = tasks.prebook_upcoming(now=now)
    # Six weeks from 3 November: Wednesdays 5, 12, 19, 26 Nov, 3, 10 Dec.
    assert first["counts"]["réservations créées"] == 6
    assert second["counts"].get("réservations créées", 0) == 0


def test_waiting_list_expiry_job_twice(django_capture_on_commit_callbacks):
    activity, group, (unit,) = wednesdays_activity(capacity=1)
    now = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)
    wed = D(2025, 12, 3)
    u1, f1 = parent_with_family(children=1)
    c1 = f1.children.get()
    enrol(c1, activity, group)
    services.booking_commit(family=f1, by=u1, now=now, changes=[Change(wed, c1.id, unit.id, BOOK)], send_email=False)
    entries = []
    for i in range(2):
        u, f = parent_with_family(children=1)
        c = f.children.get()
        enrol(c, activity, group)
        entries.append(services.waiting_list_join(child=c, unit=unit, date=wed, by=u,
                                                  now=now + datetime.timedelta(minutes=i)))
    with django_capture_on_commit_callbacks(execute=True):
        services.booking_commit(family=f1, by=u1, now=now, changes=[Change(wed, c1.id, unit.id, CANCEL)],
                                send_email=False)
    later = now + datetime.timedelta(days=2)
    tasks.waiting_list_expire(now=later)
    tasks.waiting_list_expire(now=later)
    statuses = [WaitingListEntry.objects.get(pk=e.pk).status for e in entries]
    assert statuses == ["expired", "offered"]
    assert OutboundEmail.objects.filter(template="waiting_list_offer").count() == 2


def test_a_place_freed_while_the_broker_was_down_is_offered_by_the_job(django_capture_on_commit_callbacks):
    activity, group, (unit,) = wednesdays_activity(capacity=1)
    now = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)
    wed = D(2025, 12, 3)
    u1, f1 = parent_with_family(children=1)
    c1 = f1.children.get()
    enrol(c1, activity, group)
    services.booking_commit(family=f1, by=u1, now=now, changes=[Change(wed, c1.id, unit.id, BOOK)], send_email=False)
    u2, f2 = parent_with_family(children=1)
    c2 = f2.children.get()
    enrol(c2, activity, group)
    entry = services.waiting_list_join(child=c2, unit=unit, date=wed, by=u2, now=now)
    with django_capture_on_commit_callbacks(execute=False) as queued:  # the broker is down: never queued
        services.booking_commit(family=f1, by=u1, now=now, changes=[Change(wed, c1.id, unit.id, CANCEL)],
                                send_email=False)
    assert queued and WaitingListEntry.objects.get(pk=entry.pk).status == "waiting"
    tasks.waiting_list_expire(now=now)
    tasks.waiting_list_expire(now=now)  # idempotent: the offer runs, nothing more
    assert WaitingListEntry.objects.get(pk=entry.pk).status == "offered"
    assert OutboundEmail.objects.filter(template="waiting_list_offer").count() == 1


def test_beat_schedule_points_at_enrolment_tasks():
    names = {entry["task"] for entry in app.conf.beat_schedule.values() if entry["task"].startswith("enrolment.")}
    assert names == {"enrolment.tasks.deadline_reminders", "enrolment.tasks.prebook_upcoming",
                     "enrolment.tasks.waiting_list_expire", "enrolment.tasks.occupancy_audit"}
    for name in names:
        assert callable(getattr(tasks, name.rsplit(".", 1)[1]))
