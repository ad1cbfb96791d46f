"""Benchmark: the fair opening's allocation for 2,500 families × 5 days (budget: under 60 s, issue 17).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_allocation_bench .venv/bin/python bench/allocation.py \
        [--families 2500] [--days 5] [--capacity 1500] [--siblings 0.2] [--recorded 200]

The database is created and migrated if missing. Everything runs in one transaction rolled back at the
end: the database is left as it was, and no e-mail leaves (their sending is queued after commit only).

Steps, each timed:
1. a window of ``--days`` weekdays in request mode (one unit, ``--capacity`` places a day) and the
   families (a fifth with two children), enrolled — bulk inserts, not timed as part of the budget;
2. ``--recorded`` families ask for every day through the real basket commit (``booking_commit`` during
   the phase): the cost of recording one family's requests; the other families' requests are inserted
   in bulk;
3. a dry run (``allocation_dry_run``): inputs read, allocation computed, figures recorded;
4. the publication (``allocation_publish``): counters locked, allocation, bookings, waiting list in rank
   order, outcomes, one e-mail per guardian rendered into the outbox, window switched, audit — the
   figure the budget is about.
"""
import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_allocation_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["DEBUG"] = "false"  # DEBUG keeps every SQL query in memory
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"


class Rollback(Exception):
    pass


def ensure_database():
    url = os.environ["DATABASE_URL"]
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=2500)
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--capacity", type=int, default=1500)
    parser.add_argument("--siblings", type=float, default=0.2, help="share of families with two children")
    parser.add_argument("--recorded", type=int, default=200, help="families asking through the basket commit")
    args = parser.parse_args()
    ensure_database()
    # Django and the apps are imported only now: the environment above (DATABASE_URL, settings) must be set
    # and the database created before Django reads its settings.
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    try:
        with transaction.atomic():
            run(args, connection)
            raise Rollback
    except Rollback:
        print("Rolled back: the database is as it was.")


def run(args, connection):
    # Imported after django.setup() in main() (models need the app registry).
    from django.contrib.auth import get_user_model
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from enrolment.models import Activity, ActivityType, BookingWindow, Enrolment, Group, OpeningPeriod, Structure, Unit
    from enrolment.services import BOOK, Change, booking_commit
    from families.models import Child, Family, Guardian
    from opening.models import PlaceRequest
    from opening.services import allocation_dry_run, allocation_publish, phase_for_window

    rng = random.Random(17)
    now = timezone.now()
    start = timezone.localdate(now) + datetime.timedelta(days=60)
    start += datetime.timedelta(days=(7 - start.weekday()) % 7)  # a Monday
    days = []
    d = start
    while len(days) < args.days:
        if d.weekday() < 5:
            days.append(d)
        d += datetime.timedelta(days=1)

    t0 = time.perf_counter()
    structure = Structure.objects.create(name="BENCH Accueil de loisirs")
    atype = ActivityType.objects.create(structure=structure, name="BENCH Centre de loisirs")
    activity = Activity.objects.create(activity_type=atype, name="BENCH CLV", season_start=days[0],
                                       season_end=days[-1], booking_rule=Activity.BookingRule.WINDOW,
                                       auto_validate=True)
    OpeningPeriod.objects.create(activity=activity, start_date=days[0], end_date=days[-1], skip_school_holidays=False,
                                 monday=True, tuesday=True, wednesday=True, thursday=True, friday=True)
    group = Group.objects.create(activity=activity, name="Tous niveaux")
    unit = Unit.objects.create(activity=activity, name="Journée", code="BENCH-J", capacity=args.capacity)
    window = BookingWindow.objects.create(
        activity=activity, name="BENCH", period_start=days[0], period_end=days[-1],
        opens_on=timezone.localdate(now), closes_on=days[0] - datetime.timedelta(days=1),
        opening_mode=BookingWindow.OpeningMode.REQUESTS, requests_open_at=now - datetime.timedelta(days=10),
        requests_close_at=now + datetime.timedelta(days=1), results_at=now + datetime.timedelta(days=2))
    phase = phase_for_window(window)
    phase.member_communes = "Annonay"
    phase.save()
    families = Family.objects.bulk_create([
        Family(number=f"BENCH{i:05d}", name=f"BENCH {i}", city="Annonay" if rng.random() < 0.6 else "Davézieux")
        for i in range(args.families)])
    users = get_user_model().objects.bulk_create([
        get_user_model()(username=f"bench-alloc-{i}@example.org", email=f"bench-alloc-{i}@example.org")
        for i in range(args.families)])
    Guardian.objects.bulk_create([
        Guardian(family=f, user=u, civility="Mme", last_name=f.name, first_name="Claire", relationship="mother",
                 email=u.email) for f, u in zip(families, users)])
    children = Child.objects.bulk_create([
        Child(family=f, first_name=name, last_name=f.name, birth_date=datetime.date(2017, 3, 1), sex="F",
              school_level="CE2")
        for f in families for name in (("Léa", "Hugo") if rng.random() < args.siblings else ("Léa",))])
    enrolments = Enrolment.objects.bulk_create([
        Enrolment(child=c, activity=activity, group=group, status=Enrolment.Status.VALIDATED, requested_at=now)
        for c in children])
    print(f"Data: {len(families)} families, {len(children)} children, {len(days)} days, one unit of "
          f"{args.capacity} places a day ({time.perf_counter() - t0:.1f} s to insert).")

    by_family = {}
    for e, c in zip(enrolments, children):
        by_family.setdefault(c.family_id, []).append(e)
    families_by_id = {f.pk: f for f in families}
    users_by_family = {f.pk: u for f, u in zip(families, users)}
    recorded = list(by_family)[:args.recorded]
    t0 = time.perf_counter()
    for family_id in recorded:
        booking_commit(family=families_by_id[family_id], by=users_by_family[family_id],
                       changes=[Change(day, e.child_id, unit.id, BOOK) for e in by_family[family_id] for day in days])
    elapsed = time.perf_counter() - t0
    print(f"Requests through the basket commit: {len(recorded)} families in {elapsed:.1f} s "
          f"({1000 * elapsed / max(len(recorded), 1):.0f} ms per family of {len(days)} days).")
    PlaceRequest.objects.bulk_create([
        PlaceRequest(phase=phase, child_id=e.child_id, unit=unit, date=day, enrolment=e, requested_at=now)
        for family_id in list(by_family)[args.recorded:] for e in by_family[family_id] for day in days],
        batch_size=5000)
    total = PlaceRequest.objects.filter(phase=phase).count()
    print(f"Requests: {total} ({len(children)} children × {len(days)} days).")

    t0 = time.perf_counter()
    dry = allocation_dry_run(phase=phase, now=now)
    print(f"Dry run: {time.perf_counter() - t0:.2f} s — {dry.summary['granted']} granted, "
          f"{dry.summary['refused']} waiting; digest {dry.digest[:16]}…")

    window.requests_close_at = now - datetime.timedelta(seconds=1)
    window.save(update_fields=["requests_close_at"])
    phase.refresh_from_db()
    t0 = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        run_ = allocation_publish(phase=phase, now=now)
    elapsed = time.perf_counter() - t0
    print(f"Publication: {elapsed:.2f} s for {len(families)} families × {len(days)} days ({total} requests), "
          f"{len(queries)} SQL statements — {run_.summary['granted']} booked, {run_.summary['waiting_entries']} "
          f"waiting-list entries, {len(families)} families e-mailed; same digest as the dry run: "
          f"{run_.digest == dry.digest}. Budget: 60 s.")

if __name__ == "__main__":
    main()
