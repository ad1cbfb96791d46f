"""CPU time per request of parent pages (in-process, django.test.Client), with a pyinstrument profile.

CPU time (time.process_time) rather than wall time, so the figure holds on a shared machine.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city python bench/profile_pages.py \
           [--runs 30] [--profile "month calendar"] [PAGE ...]
"""
import argparse
import statistics
import time

import common


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("pages", nargs="*", default=["home", "month calendar", "invoices list", "messages inbox",
                                                      "child planning (all activities)"])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--profile", help="print a pyinstrument profile of this page")
    args = parser.parse_args()
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
            print(profiler.output_text(unicode=False, color=False, show_all=False)[:8000])


if __name__ == "__main__":
    main()
