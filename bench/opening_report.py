"""The opening-morning table from the locust CSVs of ``run_load.sh opening`` (one row per arrival rate).

Usage: python bench/opening_report.py bench-results 2 5 10
"""
import csv
import sys
from pathlib import Path


def failures(out, rate):
    path = Path(f"{out}/opening-{rate}_failures.csv")
    return list(csv.DictReader(open(path))) if path.exists() else []


def count(rows, test):
    return sum(int(r["Occurrences"]) for r in rows if test(r["Error"]))


def seconds(row, q):
    return f"{int(row[q]) / 1000:.2f}" if row and row["Request Count"] != "0" else "–"


def gunicorn_cpu(out, rate):
    """CPU seconds of this run's gunicorn (bench/cpu_split.py's report), or None."""
    path = Path(f"{out}/opening-{rate}.md")
    for line in path.read_text().splitlines() if path.exists() else []:
        if line.strip().startswith("gunicorn (Django)"):
            return float(line.split(":")[1].split(" s")[0])
    return None


def main(out, rates):
    print("| arrivals (issue's machine) | confirmed / arrived | arrival → confirmed p50 / p95 s | login p95 s | "
          "commit p95 s | HTTP 5xx | 429 | 503 (salle d'attente) | timeouts (60 s) | over capacity | "
          "server CPU per confirmed parent |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rate in rates:
        rows = {r["Name"]: r for r in csv.DictReader(open(f"{out}/opening-{rate}_stats.csv"))}
        fails = failures(out, rate)
        journey, login, commit = rows.get("arrival → booking confirmed"), rows.get("opening: login"), rows.get(
            "opening: commit")
        arrived = int(rows["opening: login page"]["Request Count"]) if "opening: login page" in rows else 0
        confirmed = int(journey["Request Count"]) if journey else 0
        capacity = Path(f"{out}/opening-{rate}_capacity.txt").read_text()
        over = capacity.split("; ")[-1].split(" over")[0].strip()
        cpu = gunicorn_cpu(out, rate)
        per_parent = f"{1000 * cpu / confirmed:.0f} ms" if cpu and confirmed else "–"
        print(f"| {rate} a second | {confirmed} / {arrived} | {seconds(journey, '50%')} / {seconds(journey, '95%')} | "
              f"{seconds(login, '95%')} | {seconds(commit, '95%')} | "
              f"{count(fails, lambda e: e.startswith('HTTP 5') and 'salle' not in e)} | "
              f"{count(fails, lambda e: e.startswith('HTTP 429'))} | {count(fails, lambda e: 'salle' in e)} | "
              f"{count(fails, lambda e: 'HTTP 0' in e)} | {over} | {per_parent} |")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
