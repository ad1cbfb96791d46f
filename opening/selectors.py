"""Reads for the fair-opening pages, each in a bounded number of queries."""
import datetime

from django.db.models import Count, Q

from enrolment.models import BookingWindow, Enrolment, Unit

from . import allocation
from .models import AllocationRun, FamilyOutcome, PlaceRequest, RequestPhase


def family_phases(*, family):
    """The request phases of the activities the family's children are enrolled in (validated): windows in
    request mode, and published phases. [(phase or None, window, outcome or None, enrolment)]: three queries."""
    enrolments = {}
    for e in Enrolment.objects.for_family(family).validated().order_by("child__birth_date", "id"):
        enrolments.setdefault(e.activity_id, e)
    windows = list(BookingWindow.objects.filter(activity_id__in=enrolments).filter(
        Q(opening_mode=BookingWindow.OpeningMode.REQUESTS) | Q(request_phase__published_at__isnull=False))
        .select_related("activity", "request_phase").order_by("period_start", "id"))
    outcomes = {o.phase_id: o for o in FamilyOutcome.objects.for_family(family).filter(
        phase__window__in=windows)}
    rows = []
    for w in windows:
        phase = getattr(w, "request_phase", None)
        rows.append({"window": w, "phase": phase, "outcome": outcomes.get(phase.pk) if phase else None,
                     "enrolment": enrolments[w.activity_id],
                     "criteria": [allocation.CRITERIA[c] for c in phase.criteria_list()] if phase else []})
    return rows


def family_result(*, family, outcome):
    """The family's requests of the phase, by outcome: two queries."""
    requests = list(PlaceRequest.objects.for_family(family).filter(phase_id=outcome.phase_id)
                    .select_related("child", "unit").order_by("date", "child__birth_date", "unit__order"))
    return {
        "granted": [r for r in requests if r.outcome == PlaceRequest.Outcome.GRANTED],
        "already": [r for r in requests if r.outcome == PlaceRequest.Outcome.ALREADY],
        "waiting": [r for r in requests if r.outcome == PlaceRequest.Outcome.WAITING],
        "criteria": [allocation.CRITERIA.get(c, c) for c in outcome.criteria],
    }


def staff_phases():
    """Windows in request mode or with a phase, with their phase and request count: two queries."""
    windows = list(BookingWindow.objects.filter(
        Q(opening_mode=BookingWindow.OpeningMode.REQUESTS) | Q(request_phase__isnull=False))
        .select_related("activity", "request_phase").order_by("-period_start", "id"))
    counts = dict(PlaceRequest.objects.order_by().filter(phase__window__in=windows).values("phase_id")
                  .annotate(n=Count("id")).values_list("phase_id", "n"))
    return [{"window": w, "phase": getattr(w, "request_phase", None),
             "count": counts.get(getattr(getattr(w, "request_phase", None), "pk", None), 0)} for w in windows]


def staff_phase(*, phase):
    """The phase's request count, its latest runs and the figures of the latest one, with unit names and
    criterion shares: four queries."""
    runs = list(AllocationRun.objects.filter(phase=phase).select_related("created_by")[:10])
    run = runs[0] if runs else None
    rows = []
    if run is not None:
        units = dict(Unit.objects.filter(pk__in={r["unit_id"] for r in run.figures}).values_list("id", "name"))
        codes = (*phase.criteria_list(), allocation.DRAW)
        for r in run.figures:
            granted = r["granted"]
            rows.append({
                **r, "unit": units.get(r["unit_id"], "?"), "date": datetime.date.fromisoformat(r["day"]),
                "shares": [(code, r["by_criterion"].get(code, 0),
                            round(100 * r["by_criterion"].get(code, 0) / granted) if granted else 0) for code in codes],
            })
    return {
        "count": PlaceRequest.objects.filter(phase=phase).count(), "runs": runs, "run": run, "rows": rows,
        "criteria": [(c, allocation.CRITERIA.get(c, allocation.DRAW_LABEL)) for c in (*phase.criteria_list(), allocation.DRAW)],
    }


def phase_get(pk):
    return RequestPhase.objects.select_related("window__activity").get(pk=pk)
