"""Log in many distinct city parents and write what the load test needs to bench-results/users.json.

Each parent gets a real Django session (the same rows ``login()`` writes: user id, backend, session
auth hash) created directly in the session store, so thousands of parents are logged in without
paying thousands of password hashes on the 2 cores the benchmark measures. One real login through
the login form is checked separately by run_load.sh (``--check-login``).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city python bench/prepare.py \
           [--readers 2000] [--racers 100] [--holiday-racers 150] [--out bench-results/users.json]
"""
import argparse
import json
import secrets
import string
import sys
from collections import defaultdict
from pathlib import Path

import common

CSRF_CHARS = string.ascii_letters + string.digits


def new_session(user):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from importlib import import_module

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--readers", type=int, default=2000)
    parser.add_argument("--racers", type=int, default=100)
    # More holiday racers than the week's 120 places of « Journée », so that the days fill during the race.
    parser.add_argument("--holiday-racers", type=int, default=150)
    parser.add_argument("--out", default=str(common.ROOT / "bench-results" / "users.json"))
    args = parser.parse_args()
    common.django_setup()
    from django.utils import timezone

    from billing.models import Invoice
    from enrolment import rules
    from enrolment.models import Booking, Enrolment, Occupancy, Unit
    from messaging.models import Thread

    today = timezone.localdate(timezone.now(), rules.PARIS)
    guardians = common.reader_families(args.readers)
    if not guardians:
        sys.exit("No city family found: run `bench/city_data.py` first.")
    family_ids = [g.family_id for g in guardians]
    enrolments = defaultdict(list)
    for e in (Enrolment.objects.filter(child__family_id__in=family_ids, status="validated",
                                       activity__season_start__lte=today, activity__season_end__gte=today)
              .select_related("child").order_by("id")):
        enrolments[e.child.family_id].append((e.id, e.child_id))
    invoices = defaultdict(list)
    for fid, iid in Invoice.objects.filter(family_id__in=family_ids).order_by("-issued_on", "-id").values_list(
            "family_id", "id"):
        if len(invoices[fid]) < 2:  # a parent opens their latest invoices (whose PDFs render_pdfs.py stores)
            invoices[fid].append(iid)
    threads = defaultdict(list)
    for fid, tid in Thread.objects.filter(family_id__in=family_ids).values_list("family_id", "id"):
        threads[fid].append(tid)
    readers = []
    for g in guardians:
        own = enrolments.get(g.family_id)
        if not own:
            continue
        readers.append({
            "email": g.user.email, "session": new_session(g.user),
            "csrf": "".join(secrets.choice(CSRF_CHARS) for _ in range(32)),
            "enrolments": [e for e, _ in own], "children": sorted({c for _, c in own}),
            "invoices": invoices.get(g.family_id, []), "threads": threads.get(g.family_id, []),
        })
    def race(activity, code, start, end, weekdays, count):
        """Up to ``count`` parents (one child each, distinct families) enrolled in ``activity``, all booking
        unit ``code`` on ``weekdays`` from ``start`` to ``end``. Every race starts from the generated state
        with nobody booked on those days (bookings removed, counters at 0)."""
        if activity is None or not count:
            return []
        unit = Unit.objects.filter(activity=activity, code=code).first()
        reset = Booking.objects.filter(unit__activity=activity, date__range=(start, end)).delete()[0]
        Occupancy.objects.filter(unit__activity=activity, date__range=(start, end)).update(booked=0)
        print(f"race reset: {reset} booking(s) of {activity.name} from {start:%d/%m/%Y} to {end:%d/%m/%Y} "
              f"removed, counters at 0")
        racers, seen = [], set()
        for e in (Enrolment.objects.filter(activity=activity, status="validated").select_related("child")
                  .order_by("id")):
            if e.child.family_id in seen:
                continue
            user = next((g.user for g in e.child.family.guardians.filter(user__isnull=False).select_related("user")
                         .order_by("rank")), None)
            if user is None:
                continue
            seen.add(e.child.family_id)
            racers.append({"email": user.email, "session": new_session(user),
                           "csrf": "".join(secrets.choice(CSRF_CHARS) for _ in range(32)),
                           "enrolment": e.id, "child": e.child_id, "unit": unit.id,
                           "start": start.isoformat(), "end": end.isoformat(), "weekdays": weekdays})
            if len(racers) >= count:
                break
        return racers

    # Deadline evening: every Wednesday of the month being booked, afternoon unit.
    activity = common.race_activity(today)
    rush = common.rush_month(today)
    racers = race(activity, "APR", rush, common.month_last(rush), ["2"], args.racers)
    # A holiday booking window open: the first holiday week, « Journée » every day.
    holiday = common.holiday_race(today)
    holiday_racers = []
    if holiday:
        activity_h, monday, friday = holiday
        holiday_racers = race(activity_h, "JOU", monday, friday, ["0", "1", "2", "3", "4"], args.holiday_racers)
    data = {"today": today.isoformat(), "month": [today.year, today.month], "rush_month": [rush.year, rush.month],
            "race_activity": activity.id if activity else None, "readers": readers, "racers": racers,
            "holiday_racers": holiday_racers}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data))
    print(f"{len(readers)} parents logged in for the read mix, {len(racers)} for the booking race "
          f"({activity.name if activity else '—'}, {rush:%m/%Y}), {len(holiday_racers)} for the holiday race "
          f"({holiday[0].name + f', week of {holiday[1]:%d/%m/%Y}' if holiday else 'no booking window open today'})"
          f" → {args.out}")


if __name__ == "__main__":
    main()
