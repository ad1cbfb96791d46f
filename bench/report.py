"""Print a locust ``--csv`` result as a Markdown table: per page requests, throughput, p50/p95/p99, errors.

Usage: python bench/report.py bench-results/saturated "Saturated read mix"
"""
import csv
import sys
from pathlib import Path


def table(prefix, title):
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
    out = [f"### {title}", "", "| page | requests | req/s | p50 ms | p95 ms | p99 ms | errors |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        name = "**all requests**" if r["Name"] == "Aggregated" else r["Name"]
        if r["Type"] == "INFO":
            out.append(f"| {name} | {r['Request Count']} | {float(r['Requests/s']):.1f} | – | – | – | – |")
            continue
        out.append(
            f"| {name} | {r['Request Count']} | {float(r['Requests/s']):.1f} | {r['50%']} | {r['95%']} | "
            f"{r['99%']} | {r['Failure Count']} |"
        )
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        lines = list(csv.DictReader(open(failures)))
        if lines:
            out += ["", "Errors:"] + [f"- {f['Name']}: {f['Error']} × {f['Occurrences']}" for f in lines]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(table(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else Path(sys.argv[1]).name))
