"""Time to issue a month of invoices for all families, and to render one invoice PDF.

Issuing runs billing's own service (``invoices_issue_all``: every active régie, one invoice per
family with billable bookings, gapless numbers) for the current month — the first month the city
generator leaves unbilled — inside a transaction rolled back at the end, so the benchmark can be
repeated (``--commit`` keeps the invoices). The PDF is billing's ``invoice_pdf`` on a large invoice,
timed cold (first render in the process, WeasyPrint import included) and warm (median of N).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city python bench/invoicing.py \
           [--month YYYY-MM] [--commit] [--pdf-runs 10] [--skip-issue] [--profile] [--sample N]
"""
import argparse
import datetime
import statistics
import time

import common


def issue_sample(month, sample, profile):
    """Issue for the first ``sample`` families of each régie (billing's per-family step, as
    ``invoice_issue_period`` runs it), rolled back; extrapolate to every family of the month."""
    # Django and the apps load only after common.django_setup() has set the benchmark's settings.
    from django.db import transaction

    from billing.models import Regie
    from billing.services.invoicing import _invoice_issue_family, billable_bookings, regie_billable_units

    first, last = month, common.month_last(month)
    issued_on = common.month_last(month) + datetime.timedelta(days=5)
    total_time, total_families, done = 0.0, 0, 0
    profiler = None
    with transaction.atomic():
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        for regie in Regie.objects.filter(is_active=True).order_by("pk"):
            t = time.perf_counter()
            family_ids = sorted(set(billable_bookings(units=regie_billable_units(regie), period_start=first, period_end=last)
                                    .values_list("child__family_id", flat=True).distinct()))
            listing = time.perf_counter() - t
            t, c = time.perf_counter(), time.process_time()
            for fid in family_ids[:sample]:
                _invoice_issue_family(regie=regie, family_id=fid, period_start=first, period_end=last,
                                      issued_on=issued_on, by=None)
            per_family = (time.perf_counter() - t) / max(min(sample, len(family_ids)), 1)
            cpu_family = (time.process_time() - c) / max(min(sample, len(family_ids)), 1)
            estimate = listing + per_family * len(family_ids)
            print(f"  {regie.prefix}: {len(family_ids)} families to invoice; listing {listing:.1f} s, "
                  f"{per_family * 1000:.1f} ms per family invoice (Python CPU {cpu_family * 1000:.1f} ms) over "
                  f"{min(sample, len(family_ids))} → "
                  f"estimated {estimate:.0f} s for the régie")
            total_time += estimate
            total_families += len(family_ids)
            done += min(sample, len(family_ids))
        if profiler:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False)[:6000])
        transaction.set_rollback(True)
    print(f"Estimated time to issue {first:%m/%Y} for all families: {total_time:.0f} s "
          f"({total_families} invoices; {done} actually issued and rolled back)")


def issue(month, commit, profile):
    # Django and the apps load only after common.django_setup() has set the benchmark's settings.
    from django.db import transaction
    from django.db.models import Count

    from billing.models import Invoice, InvoiceLine, Regie
    from billing.services.invoicing import billable_bookings, invoices_issue_all, regie_billable_units

    first = month
    last = common.month_last(first)
    for regie in Regie.objects.filter(is_active=True).order_by("pk"):
        n = billable_bookings(units=regie_billable_units(regie), period_start=first, period_end=last).count()
        print(f"  {regie.prefix}: {n} billable bookings not yet invoiced in {first:%m/%Y}")
    before = Invoice.objects.count()
    with transaction.atomic():
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        t, c = time.perf_counter(), time.process_time()
        counts = invoices_issue_all(period_start=first, period_end=last)
        elapsed, cpu = time.perf_counter() - t, time.process_time() - c
        if profiler:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False)[:6000])
        created = Invoice.objects.count() - before
        lines = InvoiceLine.objects.filter(invoice__period_start=first, invoice__period_end=last).count()
        families = Invoice.objects.filter(period_start=first, period_end=last).aggregate(
            n=Count("family", distinct=True))["n"]
        if not commit:
            transaction.set_rollback(True)
    per_regie = ", ".join(f"{r.prefix}: {n}" for r, n in counts.items())
    print(f"Issued {created} invoices ({per_regie}) with {lines} lines for {families} families "
          f"in {elapsed:.1f} s ({elapsed / max(created, 1) * 1000:.1f} ms per invoice; Python CPU {cpu:.1f} s)"
          + ("" if commit else " — rolled back"))
    return elapsed


def pdf(runs):
    from django.db.models import Count

    from billing.models import Invoice
    from billing.pdf import invoice_pdf

    invoice = (Invoice.objects.filter(family__number__startswith="V").annotate(n=Count("lines"))
               .select_related("regie", "payer").order_by("-n", "id").first())
    t = time.perf_counter()
    data = invoice_pdf(invoice)
    cold = time.perf_counter() - t
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        invoice_pdf(invoice)
        times.append(time.perf_counter() - t)
    typical = (Invoice.objects.filter(family__number__startswith="V").annotate(n=Count("lines"))
               .select_related("regie", "payer").order_by("id")[1000:1001].first()) or invoice
    ttimes = []
    for _ in range(runs):
        t = time.perf_counter()
        invoice_pdf(typical)
        ttimes.append(time.perf_counter() - t)
    print(f"Invoice PDF {invoice.number} ({invoice.n} lines, {len(data)} bytes): cold {cold * 1000:.0f} ms "
          f"(WeasyPrint import included), warm median {statistics.median(times) * 1000:.0f} ms, "
          f"max {max(times) * 1000:.0f} ms over {runs}")
    print(f"Invoice PDF {typical.number} ({typical.n} lines, typical): warm median "
          f"{statistics.median(ttimes) * 1000:.0f} ms, max {max(ttimes) * 1000:.0f} ms over {runs}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--month", help="YYYY-MM (default: the current month)")
    parser.add_argument("--commit", action="store_true")
    parser.add_argument("--pdf-runs", type=int, default=10)
    parser.add_argument("--skip-issue", action="store_true")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of the issuing")
    parser.add_argument("--sample", type=int, help="issue only N families per régie and extrapolate")
    args = parser.parse_args()
    common.django_setup()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    from django.utils import timezone

    today = timezone.localdate()
    month = datetime.date.fromisoformat(args.month + "-01") if args.month else today.replace(day=1)
    if args.sample:
        issue_sample(month, args.sample, args.profile)
    elif not args.skip_issue:
        issue(month, args.commit, args.profile)
    pdf(args.pdf_runs)


if __name__ == "__main__":
    main()
