"""Invoice PDF downloads on the city, served from storage against rendered, and the time of
``manage.py render_invoice_pdfs`` on N invoices (billing.services.invoice_pdfs).

Measures, in-process (django.test.Client, a parent logged in), CPU (time.process_time) and wall time
per download of a typical and of the largest invoice: « render » = the stored copy is stale, so the
view renders with WeasyPrint and stores; « stored » = the copy is up to date and is read from disk.
Then runs the command on ``--command`` invoices (one process: the rows are uncommitted, forked
workers would not see them).

Everything runs in one transaction rolled back at the end, with a temporary MEDIA_ROOT, so the city
and its media are left as they were. Before billing's migration 0002 is applied on the city, the
``billing_invoicepdf`` table is created inside that transaction (without its foreign key, so that
nobody writing invoices meanwhile waits on a lock).

``--prepare-load`` instead COMMITS: it stores the PDFs of the invoices the load test downloads
(bench-results/users.json, written by bench/prepare.py) with the command, as production has them
(rendered at issue). Needs the migration applied.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city .venv/bin/python bench/render_pdfs.py \
           [--runs 20] [--command 200]
       DATABASE_URL=... .venv/bin/python bench/render_pdfs.py --prepare-load [--processes 2]
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import common

TABLE_DDL = """
CREATE TABLE billing_invoicepdf (
    invoice_id bigint PRIMARY KEY, file varchar(200) NOT NULL, fingerprint varchar(64) NOT NULL,
    size integer NOT NULL CHECK (size >= 0), rendered_at timestamp with time zone NOT NULL
)"""


def _timed(client, url, runs, before=None):
    cpu, wall = [], []
    for _ in range(runs):
        if before:
            before()
        c, w = time.process_time(), time.perf_counter()
        response = client.get(url)
        cpu.append((time.process_time() - c) * 1000)
        wall.append((time.perf_counter() - w) * 1000)
        assert response.status_code == 200 and response.content.startswith(b"%PDF-"), response.status_code
    return statistics.median(cpu), statistics.median(wall), max(wall), len(response.content)


def measure(runs, command_count):
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from billing.models import Invoice, InvoicePdf

    with transaction.atomic():
        if "billing_invoicepdf" not in connection.introspection.table_names():
            with connection.cursor() as cursor:
                cursor.execute(TABLE_DDL)
            print("(billing_invoicepdf created inside the rolled-back transaction: migration 0002 not applied yet)")
        with_user = Invoice.objects.filter(family__number__startswith="V", family__guardians__user__isnull=False)
        largest = with_user.annotate(n=Count("lines")).order_by("-n", "id").first()
        typical = with_user.annotate(n=Count("lines")).order_by("id")[1000:1001].get()
        print(f"| invoice | lines | bytes | render CPU ms | render wall ms (max) | stored CPU ms | stored wall ms (max) "
              f"| queries (stored) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, invoice in (("typical", typical), ("largest", largest)):
            user = invoice.family.guardians.filter(user__isnull=False).order_by("rank").first().user
            client = Client()
            client.force_login(user)
            client.get("/")
            url = reverse("billing:invoice_pdf", args=[invoice.pk])
            client.get(url)  # WeasyPrint imported, fonts loaded, the copy stored

            def stale(pk=invoice.pk):
                InvoicePdf.objects.filter(pk=pk).update(fingerprint="stale")

            r_cpu, r_wall, r_max, size = _timed(client, url, runs, before=stale)
            client.get(url)
            s_cpu, s_wall, s_max, _ = _timed(client, url, runs * 5)
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            print(f"| {label} {invoice.number} | {invoice.n} | {size} | {r_cpu:.1f} | {r_wall:.1f} ({r_max:.0f}) "
                  f"| {s_cpu:.2f} | {s_wall:.2f} ({s_max:.1f}) | {len(queries.captured_queries)} |")
        if command_count:
            print(f"\nmanage.py render_invoice_pdfs --limit {command_count} (newest first, after a scan of every invoice):")
            call_command("render_invoice_pdfs", "--limit", str(command_count))
        transaction.set_rollback(True)


def prepare_load(processes):
    from django.core.management import call_command

    path = common.ROOT / "bench-results" / "users.json"
    if not path.exists():
        sys.exit(f"{path} not found: run bench/prepare.py first.")
    ids = sorted({pk for reader in json.load(open(path))["readers"] for pk in reader["invoices"]})
    print(f"{len(ids)} invoices downloaded by the load test")
    call_command("render_invoice_pdfs", "--ids", ",".join(map(str, ids)), "--processes", str(processes))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--command", type=int, default=200, metavar="N", help="time the command on N invoices (0: skip)")
    parser.add_argument("--prepare-load", action="store_true", help="COMMIT the PDFs of the load test's invoices")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()
    media = None
    if not args.prepare_load:
        media = os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="bench-pdfs-")
    try:
        common.django_setup()
        import logging

        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
        if args.prepare_load:
            prepare_load(args.processes)
        else:
            measure(args.runs, args.command)
    finally:
        if media:
            shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
