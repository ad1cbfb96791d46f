"""The hand-computed CAF example shared by the report tests (unit, page and browser).

ALSH Mercredis, units Journée (08:30–17:30) and Repas (12:00–13:30); Wednesdays 3 and 10 December 2025.

- Léo (born 10/03/2020, 5 years old): 3/12 Journée tapped 08:45–17:15 (8 h 30) and Repas untapped (inside
  the day: no more hours); 10/12 Journée untapped (planned 9 h 00).
- Inès (born 05/12/2019: 5 on 3/12, 6 on 10/12): 3/12 Journée arrived 09:00, no departure tapped (until the
  unit's end, 8 h 30); 10/12 Journée absent non excusé (not attended) and Repas only (1 h 30).
- Tom (born 01/01/2015, 10 years old): 3/12 Journée tapped 08:30–12:00 (3 h 30); 10/12 excused.
- Zoé: booked on 3/12, not checked in yet (reserved): not attended.

Under 6: Léo and Inès, 3 days (actes), 8 h 30 + 9 h 00 + 8 h 30 = 26,00 h.
6 and over: Inès and Tom, 2 days, 1 h 30 + 3 h 30 = 5,00 h.
Total: 3 children, 5 days, 31,00 h.
"""
import datetime

from enrolment.models import Booking, OpeningPeriod
from enrolment.tests.factories import ActivityFactory, GroupFactory, UnitFactory, enrol
from families.tests.factories import ChildFactory, FamilyFactory

D1, D2 = datetime.date(2025, 12, 3), datetime.date(2025, 12, 10)
T = datetime.time
EXPECTED = {
    "under6": {"children": 2, "acts": 3, "hours": "26,00"},
    "6plus": {"children": 2, "acts": 2, "hours": "5,00"},
    "total": {"children": 3, "acts": 5, "hours": "31,00"},
}


def caf_example():
    activity = ActivityFactory(name="ALSH Mercredis 2025/2026", activity_type__structure__name="Centre Les Castors")
    OpeningPeriod.objects.create(activity=activity, start_date=activity.season_start, end_date=activity.season_end,
                                 wednesday=True, skip_school_holidays=False)
    group = GroupFactory(activity=activity, name="Tous")
    day = UnitFactory(activity=activity, name="Journée", code="J", start_time=T(8, 30), end_time=T(17, 30), order=0)
    meal = UnitFactory(activity=activity, name="Repas", code="R", start_time=T(12, 0), end_time=T(13, 30), order=1)
    family = FamilyFactory()

    def child(first, birth):
        c = ChildFactory(family=family, first_name=first, last_name="EXEMPLE", birth_date=birth)
        return c, enrol(c, activity, group)

    def book(pair, unit, date, state, arrived=None, left=None):
        Booking.objects.create(child=pair[0], enrolment=pair[1], unit=unit, date=date, state=state,
                               arrived_at=arrived, left_at=left)

    leo = child("Léo", datetime.date(2020, 3, 10))
    ines = child("Inès", datetime.date(2019, 12, 5))
    tom = child("Tom", datetime.date(2015, 1, 1))
    zoe = child("Zoé", datetime.date(2018, 6, 1))
    book(leo, day, D1, "present", T(8, 45), T(17, 15))
    book(leo, meal, D1, "present")
    book(leo, day, D2, "present")
    book(ines, day, D1, "present", T(9, 0))
    book(ines, day, D2, "absent_billed")
    book(ines, meal, D2, "present")
    book(tom, day, D1, "present", T(8, 30), T(12, 0))
    book(tom, day, D2, "excused")
    book(zoe, day, D1, "reserved")
    return activity
