"""Render and store the invoice PDFs that are missing or stale (backfill, after a layout change or an
edit of a régie's or the organisation's header).

    manage.py render_invoice_pdfs                       # every invoice, newest first
    manage.py render_invoice_pdfs --latest-per-family 5 --processes 2
    manage.py render_invoice_pdfs --ids 12 13,14 --force
    manage.py render_invoice_pdfs --family-ids 7 8 --limit 100

Idempotent: an invoice whose stored PDF is up to date is skipped (``--force`` renders it anyway).
Issuing queues the same rendering in Celery (billing.services.invoice_pdfs); this command is for what
that did not cover.
"""
import logging
import multiprocessing
import resource
import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from billing.models import Invoice
from billing.services.invoice_pdfs import TASK_CHUNK, invoice_pdfs_render, invoice_pdfs_stale_ids


def _ints(values):
    try:
        return sorted({int(part) for value in values or () for part in str(value).split(",") if part.strip()})
    except ValueError as exc:
        raise CommandError(f"Identifiant invalide : {exc}") from None


def _render_chunk(args):
    ids, force = args
    return invoice_pdfs_render(ids=ids, force=force)


def _cpu_seconds():
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Command(BaseCommand):
    help = "Rend et enregistre les PDF de factures manquants ou périmés."

    def add_arguments(self, parser):
        parser.add_argument("--ids", nargs="+", metavar="ID", help="ces factures (séparées par des espaces ou des virgules)")
        parser.add_argument("--family-ids", nargs="+", metavar="ID", help="les factures de ces familles")
        parser.add_argument("--latest-per-family", type=int, metavar="N", help="les N dernières factures de chaque famille")
        parser.add_argument("--limit", type=int, metavar="N", help="au plus N factures à rendre (les plus récentes)")
        parser.add_argument("--processes", type=int, default=1, metavar="N", help="rendre dans N processus (défaut 1)")
        parser.add_argument("--chunk", type=int, default=TASK_CHUNK, metavar="N", help=f"factures par lot (défaut {TASK_CHUNK})")
        parser.add_argument("--force", action="store_true", help="rendre aussi les PDF à jour")

    def handle(self, *args, **options):
        if options["processes"] < 1 or options["chunk"] < 1:
            raise CommandError("--processes et --chunk doivent être au moins 1.")
        # WeasyPrint warns on every PDF that it subsets fonts with fontTools: harmless, and thousands here.
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        qs = Invoice.objects.all()
        if options["ids"]:
            qs = qs.filter(pk__in=_ints(options["ids"]))
        if options["family_ids"]:
            qs = qs.filter(family_id__in=_ints(options["family_ids"]))
        if options["latest_per_family"]:
            qs = qs.annotate(rank=Window(
                RowNumber(), partition_by=[F("family_id")], order_by=[F("issued_on").desc(), F("pk").desc()],
            )).filter(rank__lte=options["latest_per_family"])
        qs = qs.order_by("-issued_on", "-pk")

        start, cpu_start = time.perf_counter(), _cpu_seconds()
        if options["force"]:
            ids = list(qs.values_list("pk", flat=True))
            selected = len(ids)
        else:
            selected = qs.count()
            ids = invoice_pdfs_stale_ids(qs)
        if options["limit"] is not None:
            ids = ids[: options["limit"]]
        scanned = time.perf_counter() - start
        self.stdout.write(f"{selected} facture(s) choisie(s), {len(ids)} PDF à rendre (tri en {scanned:.1f} s).")

        chunks = [(ids[i : i + options["chunk"]], options["force"]) for i in range(0, len(ids), options["chunk"])]
        counts = Counter()
        done = 0
        render_start = time.perf_counter()
        if options["processes"] == 1 or len(chunks) <= 1:
            results = map(_render_chunk, chunks)
            pool = None
        else:
            connections.close_all()  # the children open their own connections
            pool = multiprocessing.get_context("fork").Pool(options["processes"])
            results = pool.imap_unordered(_render_chunk, chunks)
        try:
            for result in results:
                counts.update(result)
                done += result["rendered"] + result["fresh"] + result["failed"] + result["missing"]
                if options["verbosity"] >= 2:
                    self.stdout.write(f"  {done}/{len(ids)}")
        finally:
            if pool is not None:
                pool.close()
                pool.join()
        wall = time.perf_counter() - render_start
        cpu = _cpu_seconds() - cpu_start
        per = f", {wall / counts['rendered'] * 1000:.0f} ms par PDF" if counts["rendered"] else ""
        self.stdout.write(
            f"PDF rendus : {counts['rendered']}, déjà à jour : {counts['fresh']}, échecs : {counts['failed']}, "
            f"factures introuvables : {counts['missing']} — {wall:.1f} s{per} ({options['processes']} processus, "
            f"CPU {cpu:.1f} s en tout)."
        )
        if counts["failed"]:
            raise CommandError(f"{counts['failed']} PDF n'ont pas pu être rendus (voir le journal).")
