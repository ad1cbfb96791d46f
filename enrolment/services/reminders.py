"""Periodic work: deadline reminders and pre-booking of the coming weeks."""
import datetime
from collections import defaultdict

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.mail import email_queue

from .. import rules
from ..models import Activity, Booking, BookingWindow, DeadlineReminder, Enrolment
from .booking import enrolment_prebook, family_emails

REMIND_DAYS_BEFORE = 5


def upcoming_deadlines(*, today, days_before=REMIND_DAYS_BEFORE):
    """[(activity, period_start, period_end, deadline date)] whose deadline falls in [today, today + N days]."""
    found = []
    monthly = Activity.objects.filter(is_active=True, booking_rule=Activity.BookingRule.MONTHLY,
                                      season_end__gte=today)
    start = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)  # first day of next month
    _, end = rules.month_bounds(start.year, start.month)
    for activity in monthly:
        deadline = rules.monthly_deadline_date(start, activity.deadline_day)
        if today <= deadline and (deadline - today).days <= days_before and start <= activity.season_end \
                and end >= activity.season_start:
            found.append((activity, max(start, activity.season_start), min(end, activity.season_end), deadline))
    windows = BookingWindow.objects.filter(
        activity__is_active=True, activity__booking_rule=Activity.BookingRule.WINDOW,
        closes_on__gte=today, closes_on__lte=today + datetime.timedelta(days=days_before),
    ).exclude(opening_mode=BookingWindow.OpeningMode.REQUESTS).select_related("activity")  # nothing to book yet
    for w in windows:
        if w.opens_on is None or w.opens_on <= today:
            found.append((w.activity, w.period_start, w.period_end, w.closes_on))
    return found


def deadline_reminders_send(*, now=None, days_before=REMIND_DAYS_BEFORE):
    """Remind families with a validated enrolment who booked nothing for the coming period. Idempotent.

    Returns the number of e-mails queued.
    """
    now = now or timezone.now()
    today = timezone.localdate(now, rules.PARIS)
    per_family = defaultdict(list)
    for activity, start, end, deadline in upcoming_deadlines(today=today, days_before=days_before):
        enrolments = Enrolment.objects.filter(activity=activity, status=Enrolment.Status.VALIDATED,
                                              child__is_active=True).select_related("child__family")
        booked_children = set(
            Booking.objects.filter(unit__activity=activity, date__range=(start, end),
                                   state__in=Booking.HOLDING_STATES).values_list("child_id", flat=True)
        )
        reminded = set(DeadlineReminder.objects.filter(activity=activity, period_start=start)
                       .values_list("family_id", flat=True))
        families = {}
        for e in enrolments:
            if e.child_id in booked_children:
                continue
            families.setdefault(e.child.family_id, e.child.family)
        for family_id, family in families.items():
            if family_id not in reminded:
                per_family[family_id].append((family, activity, start, end, deadline))
    sent = 0
    for items in per_family.values():
        family = items[0][0]
        try:
            with transaction.atomic():
                for _, activity, start, _end, _ in items:
                    DeadlineReminder.objects.create(family=family, activity=activity, period_start=start, sent_at=now)
                by_period = defaultdict(list)
                for _, activity, start, end, deadline in items:
                    by_period[(start, end, deadline)].append(activity)
                for (start, end, deadline), activities in sorted(by_period.items(), key=lambda kv: kv[0]):
                    for to in family_emails(family):
                        email_queue(to=to, template="deadline_reminder", related=family, context={
                            "family": family, "activities": activities, "period_start": start, "period_end": end,
                            "deadline": deadline,
                        })
                        sent += 1
        except IntegrityError:
            continue  # another run reminded this family meanwhile
    return sent


def prebook_upcoming(*, now=None, weeks=6):
    """Pre-book the coming weeks for every validated enrolment of an activity that pre-books. Idempotent.

    Returns the number of bookings created.
    """
    now = now or timezone.now()
    today = timezone.localdate(now, rules.PARIS)
    end = today + datetime.timedelta(weeks=weeks)
    enrolments = Enrolment.objects.filter(
        status=Enrolment.Status.VALIDATED, child__is_active=True, activity__prebook_regular=True,
        activity__is_active=True, activity__season_end__gte=today, activity__season_start__lte=end,
    ).select_related("activity", "group")
    return sum(enrolment_prebook(enrolment=e, start=today, end=end, now=now) for e in enrolments)
