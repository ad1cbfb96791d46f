"""The demo on the embedded SQLite, as `scripts/run` serves it: run by test_sqlite_demo.py in a
subprocess, after `migrate` and `demo_data`, against that database (the test suite itself runs on
PostgreSQL, where the raw SQL and array paths are used instead of their SQLite fallbacks).

Logs the demo parent in, opens every parent page, books days through the basket and cancels them.
Prints one line per step; exits non-zero on the first failure."""
import datetime
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from billing.models import Invoice  # noqa: E402
from enrolment.models import Booking, Enrolment, Unit  # noqa: E402
from families.models import Guardian  # noqa: E402
from messaging.models import Thread  # noqa: E402


def check(response, expected, what):
    if response.status_code != expected:
        sys.exit(f"FAIL {what}: HTTP {response.status_code}, expected {expected}")
    print(f"ok {what}")


def main():
    assert "sqlite" in django.db.connection.vendor, django.db.connection.vendor
    today = timezone.localdate()
    guardian = Guardian.objects.select_related("user", "family").get(email="claire.martin@demo.portail.example")
    family = guardian.family
    client = Client()
    client.force_login(guardian.user)
    client.session.pop("consents_pending", None)
    session = client.session
    session.pop("consents_pending", None)
    session.save()
    enrolment = (Enrolment.objects.filter(child__family=family, status="validated", activity__season_start__lte=today,
                                          activity__season_end__gte=today).order_by("id").first())
    pages = [reverse("home"), reverse("families:dossier"), reverse("families:children"), reverse("enrolment:index"),
             reverse("enrolment:planning"), reverse("billing:index"), reverse("billing:payments"),
             reverse("billing:statement"), reverse("messaging:inbox"), reverse("news:index")]
    if enrolment:
        pages += [reverse("enrolment:month", args=[enrolment.pk, today.year, today.month]),
                  reverse("enrolment:child_month", args=[enrolment.child_id, today.year, today.month])]
    invoice = Invoice.objects.filter(family=family).order_by("-id").first()
    if invoice:
        pages.append(reverse("billing:invoice_pdf", args=[invoice.pk]))
    thread = Thread.objects.filter(family=family).order_by("-id").first()
    if thread:
        pages.append(reverse("messaging:thread", args=[thread.pk]))
    for url in pages:
        check(client.get(url), 200, f"GET {url}")

    # Booking through the basket: every weekday of next month but one, on each unit of the activity.
    if enrolment is None:
        sys.exit("FAIL the demo parent has no validated enrolment this season")
    first = (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=1) + datetime.timedelta(days=31)
    first = first.replace(day=1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    units = ",".join(str(pk) for pk in Unit.objects.filter(activity=enrolment.activity).values_list("pk", flat=True))
    before = Booking.objects.filter(child=enrolment.child, state="reserved").count()
    for action in ("book", "cancel"):
        mass = {"start": first.isoformat(), "end": last.isoformat(), "action": action,
                "children": str(enrolment.child_id), "weekdays": ["0", "1", "2", "3", "4"], "units": units.split(",")}
        check(client.post(reverse("enrolment:pattern", args=[enrolment.pk, "masse"]), mass), 302, f"mass {action}")
        check(client.get(reverse("enrolment:basket")), 200, f"recap {action}")
        check(client.post(reverse("enrolment:basket"), {"action": "commit"}), 302, f"commit {action}")
        after = Booking.objects.filter(child=enrolment.child, state="reserved").count()
        if (action == "book") != (after > before):
            sys.exit(f"FAIL {action}: {before} → {after} reserved days")
        print(f"ok {action}: {before} → {after} reserved days")
        before = after
    print("SQLITE DEMO OK")


if __name__ == "__main__":
    main()
