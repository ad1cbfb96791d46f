"""After a booking race: every Occupancy counter equals the bookings holding a place, none over capacity.

Checks the whole city (not only the raced unit): counters per (unit, date) and per (unit, group, date)
for groups with their own capacity. Exits 1 on any mismatch or overrun.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city python bench/check_capacity.py \
           [RACED_UNIT_ID FIRST_DAY LAST_DAY]
"""
import sys

import common

SQL_UNIT = """
WITH b AS (
    SELECT unit_id, date, count(*) AS n FROM enrolment_booking
    WHERE state = ANY(%(holding)s) GROUP BY unit_id, date
)
SELECT count(*) FILTER (WHERE COALESCE(o.booked, 0) <> COALESCE(b.n, 0)), count(*)
FROM (SELECT * FROM enrolment_occupancy WHERE group_id IS NULL) o
FULL JOIN b ON b.unit_id = o.unit_id AND b.date = o.date
"""
SQL_GROUP = """
WITH b AS (
    SELECT bk.unit_id, e.group_id, bk.date, count(*) AS n
    FROM enrolment_booking bk JOIN enrolment_enrolment e ON e.id = bk.enrolment_id
    JOIN enrolment_group g ON g.id = e.group_id
    WHERE bk.state = ANY(%(holding)s) AND g.capacity IS NOT NULL GROUP BY bk.unit_id, e.group_id, bk.date
)
SELECT count(*) FILTER (WHERE COALESCE(o.booked, 0) <> COALESCE(b.n, 0)), count(*)
FROM (SELECT * FROM enrolment_occupancy WHERE group_id IS NOT NULL) o
FULL JOIN b ON b.unit_id = o.unit_id AND b.group_id = o.group_id AND b.date = o.date
"""


def check(race_unit=None, start=None, end=None):
    from django.db import connection

    from enrolment.models import Booking, Occupancy

    holding = list(Booking.HOLDING_STATES)
    with connection.cursor() as cur:
        cur.execute(SQL_UNIT, {"holding": holding})
        unit_bad, unit_total = cur.fetchone()
        cur.execute(SQL_GROUP, {"holding": holding})
        group_bad, group_total = cur.fetchone()
    over = Occupancy.objects.filter(capacity__isnull=False, booked__gt=models_F("capacity")).count()
    print(f"Occupancy counters: {unit_total} unit-wide, {unit_bad} mismatching the bookings; "
          f"{group_total} per group, {group_bad} mismatching; {over} over capacity.")
    if race_unit:
        for o in Occupancy.objects.filter(unit_id=race_unit, group__isnull=True,
                                          date__range=(start, end)).order_by("date"):
            print(f"  raced unit {race_unit} {o.date}: {o.booked} booked / {o.capacity} places")
    return unit_bad == 0 and group_bad == 0 and over == 0


def models_F(name):
    from django.db.models import F

    return F(name)


if __name__ == "__main__":
    common.django_setup()
    args = sys.argv[1:4]
    ok = check(int(args[0]), args[1], args[2]) if len(args) == 3 else check()
    sys.exit(0 if ok else 1)
