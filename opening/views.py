"""Parent pages of the fair opening: how the places of a window are given (phase, rules, seed) and, once
published, what the family obtained. The requests themselves are made from enrolment's planning."""
from django.http import Http404
from django.shortcuts import render

from families.access import parent_required

from . import allocation, selectors
from .models import FamilyOutcome


@parent_required
def index(request):
    return render(request, "opening/index.html", {"rows": selectors.family_phases(family=request.family)})


@parent_required
def result(request, phase_id):
    outcome = (FamilyOutcome.objects.for_family(request.family).select_related("phase__window__activity")
               .filter(phase_id=phase_id).first())
    if outcome is None:
        raise Http404
    data = selectors.family_result(family=request.family, outcome=outcome)
    return render(request, "opening/result.html", {
        "outcome": outcome, "phase": outcome.phase, "window": outcome.phase.window, **data,
        "total": outcome.phase.outcomes.count(), "draw_input": f"{outcome.phase.seed}:{request.family.number}",
        "draw_check": allocation.draw(outcome.phase.seed, request.family.number) == outcome.draw,
    })
