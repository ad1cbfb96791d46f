"""SQL queries per request, per parent page, against the city database (django.test.Client and
CaptureQueriesContext): for a small family (one child, few rows) and a large one (three children,
the most bookings and invoices). Budget (issue 7): the same count for both, at most about a dozen.

The booking commit runs inside a transaction that is rolled back, so the city is left unchanged.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city python bench/queries.py [--show PAGE]
"""
import argparse
import re
import time

import common

BUDGET = 12


def pick_families():
    """(small, large): each (guardian user, a current-season Wednesdays enrolment free in the rush month)."""
    from django.db.models import Count
    from django.utils import timezone

    from enrolment import rules
    from enrolment.models import Booking, Enrolment
    from families.models import Family

    today = timezone.localdate(timezone.now(), rules.PARIS)
    rush = common.rush_month(today)
    last = common.month_last(rush)
    candidates = (
        Enrolment.objects.filter(status="validated", activity__name__contains="Mercredis",
                                 activity__season_start__lte=today, activity__season_end__gte=today,
                                 child__family__number__startswith="V")
        .exclude(child__bookings__date__range=(rush, last), child__bookings__unit__activity_id=models_F("activity_id"))
        .select_related("child__family")
    )
    fam_ids = list(candidates.values_list("child__family_id", flat=True).distinct()[:3000])
    families = (Family.objects.filter(id__in=fam_ids)
                .annotate(n_children=Count("children", distinct=True), n_invoices=Count("invoices", distinct=True)))
    small = min((f for f in families if f.n_invoices), key=lambda f: (f.n_children, f.n_invoices, f.id))
    large = max(families, key=lambda f: (f.n_children, f.n_invoices, -f.id))
    out = []
    for fam in (small, large):
        user = fam.guardians.filter(user__isnull=False).order_by("rank").first().user
        enrolment = candidates.filter(child__family=fam).order_by("id").first()
        out.append({"family": fam, "user": user, "enrolment": enrolment, "rush": rush, "last": last,
                    "today": today,
                    "bookings": Booking.objects.filter(child__family=fam).count()})
    return out


def models_F(name):
    from django.db.models import F

    return F(name)


def pages(info):
    """[(name, method, url, data)] for one family."""
    from django.urls import reverse

    from billing.models import Invoice
    from enrolment.models import Enrolment, Unit
    from messaging.models import Thread

    fam, e, today = info["family"], info["enrolment"], info["today"]
    invoice = Invoice.objects.filter(family=fam).order_by("-issued_on", "-id").first()
    thread = Thread.objects.filter(family=fam).order_by("-last_message_at").first()
    regular = (Enrolment.objects.filter(child__family=fam, status="validated", activity__season_start__lte=today,
                                        activity__season_end__gte=today).exclude(pk=e.pk).order_by("id").first()
               or e)
    apr = Unit.objects.filter(activity=e.activity).order_by("order").first()
    child = e.child
    rows = [
        ("home", "get", reverse("home"), None),
        ("Mon dossier", "get", reverse("families:dossier"), None),
        ("inscriptions", "get", reverse("enrolment:index"), None),
        ("planning (list)", "get", reverse("enrolment:planning"), None),
        ("month calendar", "get", reverse("enrolment:month", args=[regular.pk, today.year, today.month]), None),
        ("month calendar (edit mode)", "get",
         reverse("enrolment:month", args=[e.pk, info["rush"].year, info["rush"].month]) + "?modifier=1", None),
        ("child planning (all activities)", "get",
         reverse("enrolment:child_month", args=[child.pk, today.year, today.month]), None),
        ("booking: mass selection (POST)", "post", reverse("enrolment:pattern", args=[e.pk, "masse"]),
         {"start": info["rush"].isoformat(), "end": info["last"].isoformat(), "action": "book",
          "children": str(child.pk), "weekdays": "2", "units": str(apr.pk)}),
        ("booking: recap", "get", reverse("enrolment:basket"), None),
        ("booking: commit (POST)", "post", reverse("enrolment:basket"), {"action": "commit"}),
        ("invoices list", "get", reverse("billing:index"), None),
        ("payments", "get", reverse("billing:payments"), None),
        ("account statement", "get", reverse("billing:statement"), None),
        ("messages inbox", "get", reverse("messaging:inbox"), None),
    ]
    if invoice:
        rows.append(("invoice PDF", "get", reverse("billing:invoice_pdf", args=[invoice.pk]), None))
    if thread:
        rows.append(("message thread", "get", reverse("messaging:thread", args=[thread.pk]), None))
    return rows


SAVEPOINT = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


def measure(info, show=None):
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(info["user"])
    client.get("/")  # warm-up: consent check, caches, template loading
    for name, method, url, data in pages(info):
        if method == "get":
            client.get(url)  # warm-up: the per-season catalogue and configuration caches, as in a running server
    results = {}
    with transaction.atomic():
        for name, method, url, data in pages(info):
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
                elapsed = (time.perf_counter() - t) * 1000
            # The savepoints exist only because this script wraps everything in a transaction it rolls
            # back (a real request's atomic blocks are outermost there): not counted.
            statements = [q for q in ctx.captured_queries if not SAVEPOINT.match(q["sql"])]
            results[name] = (len(statements), response.status_code, elapsed)
            if show and show == name:
                for q in ctx.captured_queries:
                    print("   ", q["time"], q["sql"][:300])
        transaction.set_rollback(True)
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", help="print the SQL of this page (its name in the table)")
    args = parser.parse_args()
    common.django_setup()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.WARNING)
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    small, large = pick_families()
    print(f"small family {small['family'].number}: {small['family'].n_children} child(ren), "
          f"{small['family'].n_invoices} invoices, {small['bookings']} bookings")
    print(f"large family {large['family'].number}: {large['family'].n_children} child(ren), "
          f"{large['family'].n_invoices} invoices, {large['bookings']} bookings")
    a = measure(small, args.show)
    b = measure(large, args.show)
    print()
    print("| page | queries (small family) | queries (large family) | same | ≤ 12 | status | ms (large, 1 request) |")
    print("|---|---:|---:|:-:|:-:|---|---:|")
    ok = True
    for name in list(a) + [n for n in b if n not in a]:
        qa, sa, _ = a.get(name, (None, None, 0))
        qb, sb, tb = b.get(name, (None, None, 0))
        same = qa == qb
        within = max(qa or 0, qb or 0) <= BUDGET
        ok = ok and same and within
        print(f"| {name} | {qa} | {qb} | {'yes' if same else 'NO'} | {'yes' if within else 'NO'} | {sa}/{sb} | {tb:.0f} |")
    print()
    print("All pages within budget and independent of the family's size." if ok else "Some pages miss the budget.")


if __name__ == "__main__":
    main()
