"""Home-page block: a request phase open for one of the family's activities, or an allocation result to
read. Its two counters join the family counters' one query (no query of its own)."""
import datetime

from django.utils import timezone

from enrolment.models import BookingWindow
from portal.caching import cached_config
from portal.dashboard import family_counters, register_block, register_counter

from .models import FamilyOutcome, RequestPhase

RESULT_DAYS = 30  # a published result shows on the home page this long


def _schedule():
    """The request phases' opening times and the results' publication times, kept in the process while the
    configuration version holds (both are staff configuration: a save of a window or a phase changes it)."""
    def build():
        windows = list(BookingWindow.objects.filter(
            opening_mode=BookingWindow.OpeningMode.REQUESTS, requests_open_at__isnull=False,
            requests_close_at__isnull=False).values_list("requests_open_at", "requests_close_at"))
        published = list(RequestPhase.objects.filter(published_at__isnull=False).values_list("published_at", flat=True))
        return windows, published

    return cached_config("opening-home-schedule", build, models=[BookingWindow, RequestPhase])


def _some_phase_open(today):
    now = timezone.now()
    return any(opens <= now < closes for opens, closes in _schedule()[0])


def _some_result_recent(today):
    since = timezone.now() - datetime.timedelta(days=RESULT_DAYS)
    return any(published >= since for published in _schedule()[1])


@register_counter("opening_open_phases", active=_some_phase_open)
def _open_phases(family, today):
    now = timezone.now()
    return BookingWindow.objects.filter(
        opening_mode=BookingWindow.OpeningMode.REQUESTS, requests_open_at__lte=now, requests_close_at__gt=now,
        activity__enrolments__child__family_id=family, activity__enrolments__status="validated",
    ).distinct()


@register_counter("opening_results", active=_some_result_recent)
def _results(family, today):
    return FamilyOutcome.objects.filter(
        family_id=family, phase__published_at__gte=timezone.now() - datetime.timedelta(days=RESULT_DAYS))


@register_block
def opening_block(request):
    family = getattr(request, "family", None)
    if family is None:
        return None
    counters = family_counters(request)
    if not counters["opening_open_phases"] and not counters["opening_results"]:
        return None
    return {"order": 21, "template": "opening/_home_block.html", "open_phases": counters["opening_open_phases"],
            "results": counters["opening_results"]}


