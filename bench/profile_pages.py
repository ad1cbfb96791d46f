"""CPU time per request of parent pages (in-process, django.test.Client), with a pyinstrument profile.

CPU time (time.process_time) rather than wall time, so the figure holds on a shared machine.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city python bench/profile_pages.py \
           [--runs 30] [--profile "month calendar"] [PAGE ...]
       ... bench/profile_pages.py --ratios [--rounds 3]
           the reference page (bench/reference.py), the month calendar and the home page in turn, several
           rounds: each page's CPU per request, and the reference's divided by it (the in-process ratio;
           under gunicorn the server's fixed cost per request lifts every ratio, see BENCHMARKS.md).
"""
import argparse
import os
import statistics
import time

import common


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", default=["home", "month calendar", "invoices list", "messages inbox",
                                                      "child planning (all activities)"])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", help="print a pyinstrument profile of this page")
    parser.add_argument("--ratios", action="store_true", help="CPU ratios against the reference page")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if args.ratios:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")  # the portal plus the reference page
    common.django_setup()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    from django.test import Client

    import queries

    _, large = queries.pick_families()
    urls = {name: url for name, method, url, data in queries.pages(large) if method == "get"}
    client = Client()
    client.force_login(large["user"])
    client.get("/")
    if args.ratios:
        return ratios(client, urls, large, args)
    print("| page | CPU ms per request (median) | wall ms (median) |")
    print("|---|---:|---:|")
    for name in args.pages:
        url = urls[name]
        for _ in range(3):
            client.get(url)
        cpu, wall = [], []
        profiler = None
        if args.profile == name:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        for _ in range(args.runs):
            c, w = time.process_time(), time.perf_counter()
            response = client.get(url)
            cpu.append((time.process_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        if profiler:
            profiler.stop()
        print(f"| {name} | {statistics.median(cpu):.1f} | {statistics.median(wall):.1f} |")
        if profiler:
            print(profiler.output_text(unicode=False, color=False, show_all=False)[:30000])


def _cpu_ms(client, url, runs):
    for _ in range(3):
        client.get(url)
    cpu = []
    for _ in range(runs):
        c = time.process_time()
        response = client.get(url)
        cpu.append((time.process_time() - c) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(cpu)


def ratios(client, urls, family, args):
    """The reference page, the month calendar and the home page in turn, ``args.rounds`` times."""
    e, today = family["enrolment"], family["today"]
    reference = f"/bench/reference/{e.child_id}/{today.year}/{today.month}/"
    pages = {"month calendar": urls["month calendar"], "home": urls["home"]}
    print("| round | reference ms | month calendar ms (ratio) | home ms (ratio) |")
    print("|---|---:|---:|---:|")
    for number in range(1, args.rounds + 1):
        ref = _cpu_ms(client, reference, args.runs)
        cells = [f"{ms:.2f} ({ref / ms:.2f})" for ms in (_cpu_ms(client, url, args.runs) for url in pages.values())]
        print(f"| {number} | {ref:.2f} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
