"""Shared helpers of the benchmark scripts: Django setup against the city database, and the pick of
parents, enrolments and invoices the load tests and query counts use."""
import datetime
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # Production settings (DEBUG keeps every query in memory and slows each one), minus TLS: the
    # in-process client talks plain HTTP, as gunicorn behind a reverse proxy does.
    for name, value in {"DEBUG": "false", "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false",
                        "SECURE_HSTS_SECONDS": "0", "LOG_LEVEL": "WARNING",
                        # its own static root: the test suite (WhiteNoise) never sees a half-written one
                        "STATIC_ROOT": str(ROOT / "bench-results" / "static")}.items():
        os.environ.setdefault(name, value)
    url = os.environ.get("DATABASE_URL", "")
    if "127.0.0.1" not in url and "localhost" not in url:
        raise SystemExit("DATABASE_URL must point to a local PostgreSQL database (127.0.0.1), e.g. "
                         "postgres://postgres@127.0.0.1:5432/portal_city")
    import django  # only once the environment (DATABASE_URL, settings) is checked and set

    django.setup()
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)  # the manifest of DEBUG-off pages


def rush_month(today):
    """First month whose monthly deadline (the 20th of the month before) is still ahead."""
    first = today.replace(day=1)
    nxt = (first + datetime.timedelta(days=32)).replace(day=1)
    return nxt if today.day <= 20 else (nxt + datetime.timedelta(days=32)).replace(day=1)


def month_last(first):
    return (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def race_activity(today):
    """The activity parents race for: the first site's élémentaire Wednesdays of the current season."""
    from enrolment.models import Activity

    return (
        Activity.objects.filter(name__contains="CL Élémentaire Mercredis", season_start__lte=today,
                                season_end__gte=today)
        .select_related("activity_type__structure").order_by("id").first()
    )


def reader_families(limit):
    """City families spread over the sites, with a logged-in first guardian (ordered, reproducible)."""
    from families.models import Guardian

    return list(
        Guardian.objects.filter(family__number__startswith="V", rank=1, user__isnull=False)
        .select_related("user", "family").order_by("family__number")[:limit]
    )


def holiday_race(today):
    """The holiday rush: the first site's holiday centre (CLV) whose booking window is open ``today``, and
    the first week of its period — (activity, monday, friday), or None when no window is open."""
    from enrolment.models import BookingWindow

    window = (
        BookingWindow.objects.filter(activity__name__contains="CLV", opens_on__lte=today, closes_on__gte=today)
        .select_related("activity").order_by("activity_id", "period_start").first()
    )
    if window is None:
        return None
    monday = window.period_start + datetime.timedelta(days=-window.period_start.weekday() % 7)
    if monday > window.period_end:
        monday = window.period_start
    return window.activity, monday, min(monday + datetime.timedelta(days=4), window.period_end)
