"""CPU time per step of the booking race cycle (in-process, django.test.Client), queries per step, and a
pyinstrument profile of one step.

Replays what a racer of bench/locustfile.py does, on the race activity of the city, inside one
transaction that is rolled back (the city is left unchanged; the session is created inside it too):

- booking cycle: mass selection (every Wednesday of the rush month) → recap → commit (302);
- cancelling cycle: mass selection (cancel) → recap → commit (302);
- refusal path: one raced day made full, mass selection → recap → commit (400 « complet ») → remove the
  full day → commit without it (302) → cancel the others.

The commits run inside the script's transaction, so their atomic blocks are savepoints and the
on-commit callbacks (e-mail dispatch to Celery, waiting list) never run: counted, not executed. CPU time
(time.process_time) rather than wall time, so the figure holds on a shared machine.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city python bench/profile_booking.py \
           [--runs 30] [--profile "commit"] [--show "commit"]
"""
import argparse
import contextlib
import re
import statistics
import time
from collections import defaultdict
from urllib.parse import urlencode

import common

SAVEPOINT = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", help="print a pyinstrument profile of this step (e.g. \"commit\")")
    parser.add_argument("--full", help="write the whole pyinstrument profile (every frame) to this file")
    parser.add_argument("--cprofile", help="print the functions of this step by cumulative CPU (cProfile)")
    parser.add_argument("--show", help="print the SQL of this step (its first run)")
    args = parser.parse_args()
    common.django_setup()
    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the expected 400 « complet »
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from enrolment import rules
    from enrolment.models import Booking, Enrolment, Occupancy, Unit
    from portal.models import OutboundEmail

    today = timezone.localdate(timezone.now(), rules.PARIS)
    activity = common.race_activity(today)
    rush = common.rush_month(today)
    last = common.month_last(rush)
    unit = Unit.objects.get(activity=activity, code="APR")
    wednesdays = [d for d in (rush.replace(day=i) for i in range(1, last.day + 1)) if d.weekday() == 2]

    timings = defaultdict(list)
    cprofiler = None
    if args.cprofile:
        import cProfile

        cprofiler = cProfile.Profile(time.process_time)
    queries = {}
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)

    with transaction.atomic():
        # The racers' starting point (as bench/prepare.py): nobody has booked the raced month yet.
        Booking.objects.filter(unit__activity=activity, date__range=(rush, last)).delete()
        Occupancy.objects.filter(unit__activity=activity, date__range=(rush, last)).update(booked=0)
        enrolment = (Enrolment.objects.filter(activity=activity, status="validated", child__is_active=True,
                                              child__family__guardians__user__isnull=False)
                     .select_related("child__family").order_by("id").first())
        user = enrolment.child.family.guardians.filter(user__isnull=False).order_by("rank").first().user
        client = Client()
        client.force_login(user)
        client.get(reverse("enrolment:planning"))  # warm-up: consent check, caches, template loading
        pattern_url = reverse("enrolment:pattern", args=[enrolment.pk, "masse"])
        basket_url = reverse("enrolment:basket")
        masse = {"start": rush.isoformat(), "end": last.isoformat(), "children": str(enrolment.child_id),
                 "weekdays": "2", "units": str(unit.pk)}
        print(f"family {enrolment.child.family.number}, child {enrolment.child_id}, {activity.name}, unit {unit.code},"
              f" {len(wednesdays)} Wednesdays of {rush:%m/%Y}")

        def step(name, method, url, data, expect, measure="cpu"):
            """measure: "cpu" (timed, no query capture: the debug cursor's SQL logging would cost CPU a
            production request does not pay), "queries" (counted, not timed) or False (warm-up)."""
            n_callbacks = len(connection.run_on_commit)
            capture = CaptureQueriesContext(connection) if measure == "queries" else contextlib.nullcontext()
            profiling = profiler is not None and name == args.profile and measure == "cpu"
            cprofiling = cprofiler is not None and name == args.cprofile and measure == "cpu"
            with capture as ctx:
                if profiling:
                    profiler.start()
                if cprofiling:
                    cprofiler.enable()
                c = time.process_time()
                if method == "post":  # form-urlencoded, as browsers and locust send these forms
                    response = client.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")
                else:
                    response = client.get(url)
                cpu = (time.process_time() - c) * 1000
                if cprofiling:
                    cprofiler.disable()
                if profiling:
                    profiler.stop()
            assert response.status_code == expect, (name, response.status_code, response.content[:2000])
            if measure == "cpu":
                timings[name].append(cpu)
            elif measure == "queries" and name not in queries:
                statements = [q for q in ctx.captured_queries if not SAVEPOINT.match(q["sql"])]
                queries[name] = (len(statements), len(connection.run_on_commit) - n_callbacks)
                if args.show == name:
                    for q in statements:
                        print("   ", q["time"], q["sql"][:400])
            connection.run_on_commit.clear()  # never run (rolled back): dispatches to Celery, waiting list
            return response

        def cycle(measure="cpu"):
            step("mass selection (book)", "post", pattern_url, dict(masse, action="book"), 302, measure)
            step("recap (4 lines)", "get", basket_url, None, 200, measure)
            step("commit (book 4 days)", "post", basket_url, {"action": "commit"}, 302, measure)
            step("mass selection (cancel)", "post", pattern_url, dict(masse, action="cancel"), 302, measure)
            step("recap (4 lines)", "get", basket_url, None, 200, measure)
            step("commit (cancel 4 days)", "post", basket_url, {"action": "commit"}, 302, measure)

        full_day = wednesdays[1]

        def refusal(measure="cpu"):
            counter = Occupancy.objects.get(unit=unit, group=None, date=full_day)  # created by the first commit
            saved = counter.booked
            Occupancy.objects.filter(pk=counter.pk).update(booked=counter.capacity)
            step("mass selection (book)", "post", pattern_url, dict(masse, action="book"), 302, measure)
            r = step("commit refused (400 complet)", "post", basket_url, {"action": "commit"}, 400, measure)
            assert "complet" in r.content.decode()
            step("remove a full day", "post", basket_url, {"action": "remove",
                                                            "key": f"{enrolment.child_id}:{unit.pk}:{full_day}"},
                 302, measure)
            step("commit without the full day (3)", "post", basket_url, {"action": "commit"}, 302, measure)
            step("mass selection (cancel)", "post", pattern_url, dict(masse, action="cancel"), 302, False)
            step("commit (cancel 4 days)", "post", basket_url, {"action": "commit"}, 302, False)
            Occupancy.objects.filter(pk=counter.pk).update(booked=saved)

        for _ in range(2):
            cycle(measure=False)
            refusal(measure=False)
        cycle(measure="queries")
        refusal(measure="queries")
        outbox = OutboundEmail.objects.count()
        for _ in range(args.runs):
            cycle()
            refusal()
        mails = OutboundEmail.objects.count() - outbox
        transaction.set_rollback(True)

    print(f"\n{args.runs} runs; {mails} recap e-mail(s) recorded in the outbox (rolled back)\n")
    print("| step | CPU ms (median) | CPU ms (p90) | queries | on-commit callbacks |")
    print("|---|---:|---:|---:|---:|")
    for name, values in timings.items():
        values = sorted(values)
        p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
        q, cb = queries[name]
        print(f"| {name} | {statistics.median(values):.1f} | {p90:.1f} | {q} | {cb} |")
    if cprofiler is not None:
        import pstats

        pstats.Stats(cprofiler).sort_stats("cumulative").print_stats(45)
    if profiler is not None:
        print(profiler.output_text(unicode=False, color=False, show_all=False)[:12000])
        if args.full:
            with open(args.full, "w") as f:
                f.write(profiler.output_text(unicode=False, color=False, show_all=True))


if __name__ == "__main__":
    main()
