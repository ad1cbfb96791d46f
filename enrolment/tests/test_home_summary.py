"""The home page's next booked days: the active children's next five, by day, unit start time and id."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrolment import selectors
from enrolment.models import Booking
from families.models import Child
from families.tests.factories import ChildFactory, parent_with_family

from .factories import enrol, wednesdays_activity

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 5)
NOW = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.timezone.utc)


@pytest.fixture
def family_with_days():
    _, family = parent_with_family(children=2)
    activity, group, (morning, meal, evening) = wednesdays_activity(units=("Matin", "Repas", "Soir"))
    for unit, start in ((morning, datetime.time(7, 30)), (meal, datetime.time(11, 45)), (evening, datetime.time(16, 30))):
        unit.start_time = start
        unit.save()
    left = ChildFactory(family=family, is_active=False)
    children = [*Child.objects.filter(family=family, is_active=True), left]
    for child in children:
        enrolment = enrol(child, activity, group)
        for week in range(-1, 4):
            day = TODAY + datetime.timedelta(days=2 + 7 * week)
            for unit in (evening, morning, meal):  # created out of order: the order must come from start times
                state = "cancelled" if (week, unit) == (1, meal) else "requested" if week == 2 else "reserved"
                Booking.objects.create(child=child, unit=unit, date=day, enrolment=enrolment, state=state)
    return family


def _expected(family):
    """The family's next five booked days, computed in Python from all its bookings."""
    rows = [b for b in Booking.objects.filter(child__family=family).select_related("child", "unit")
            if b.child.is_active and b.date >= TODAY and b.state in ("reserved", "requested")]
    rows.sort(key=lambda b: (b.date, b.unit.start_time, b.pk))
    return [(b.id, b.child.first_name) for b in rows[:5]]


def test_next_booked_days_of_active_children_by_day_and_start_time_in_one_query(family_with_days):
    with CaptureQueriesContext(connection) as queries:
        upcoming = selectors.home_summary(family=family_with_days, now=NOW)["upcoming"]
    assert [(b.id, b.child.first_name) for b in upcoming] == _expected(family_with_days)
    assert len(upcoming) == 5 and all(b.date >= TODAY and b.state in ("reserved", "requested") for b in upcoming)
    starts = [(b.date, b.unit.start_time) for b in upcoming]
    assert starts == sorted(starts) and upcoming[0].unit.name == "Matin"
    assert len([q for q in queries.captured_queries if "enrolment_booking" in q["sql"]]) == 1
