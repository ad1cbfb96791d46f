"""Staff pages of the fair opening: the windows in request mode, and for each its dry run (figures per
day: demand against places, share given to each criterion) and « Publier ».

Included by portal/urls.py at /personnel/ouverture/ through ``portal.staff.staff_only``. The allocation
runs as a Celery task (queued after commit); the page shows the latest run.
"""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from enrolment.models import BookingWindow
from portal.queue import enqueue_on_commit

from . import selectors
from .models import RequestPhase
from .services import phase_for_window


def index(request):
    if request.method == "POST":
        window_id = request.POST.get("window", "")
        if not window_id.isdigit():
            raise Http404
        window = get_object_or_404(BookingWindow, pk=int(window_id), opening_mode=BookingWindow.OpeningMode.REQUESTS)
        phase = phase_for_window(window)
        return redirect("opening_staff:phase", phase.pk)
    return render(request, "opening/staff/index.html", {"rows": selectors.staff_phases()})


def phase(request, phase_id):
    phase = get_object_or_404(RequestPhase.objects.select_related("window__activity", "published_by"), pk=phase_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "simuler":
            enqueue_on_commit("opening.tasks.simulate", phase.pk, request.user.pk)
            messages.success(request, "Simulation lancée : ses chiffres s'affichent ci-dessous dès qu'elle est "
                                      "calculée. Rien n'est réservé.")
        elif action == "publier":
            if phase.published_at is not None:
                messages.info(request, "Cette attribution est déjà publiée.")
            elif phase.window.opening_mode != BookingWindow.OpeningMode.REQUESTS:
                messages.error(request, "Cette période n'est pas en mode « phase de demandes » : rien à attribuer.")
            elif timezone.now() < phase.window.requests_close_at:
                messages.error(request, "La phase de demandes n'est pas close : publiez après le "
                                        f"{timezone.localtime(phase.window.requests_close_at):%d/%m/%Y à %H:%M}.")
            elif request.POST.get("confirmer") != "1":
                messages.error(request, "Cochez la case de confirmation pour publier l'attribution.")
            else:
                enqueue_on_commit("opening.tasks.publish", phase.pk, request.user.pk)
                messages.success(request, "Publication lancée : les places sont réservées, les familles "
                                          "prévenues par e-mail, le reste passe en liste d'attente.")
        return redirect("opening_staff:phase", phase.pk)
    data = selectors.staff_phase(phase=phase)
    return render(request, "opening/staff/phase.html", {
        "phase": phase, "window": phase.window, **data,
        "closed": timezone.now() >= phase.window.requests_close_at if phase.window.requests_close_at else False,
    })
