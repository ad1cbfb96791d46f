import sys

from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.shortcuts import render
from django.utils import timezone

from families.access import family_for_user, parent_required
from families.selectors import family_home_summary

from .dashboard import dashboard_sections, family_counters
from .gdpr import build_archive
from .models import AuditLog


def home(request):
    """Logged-in parents get their dashboard; everyone else the public welcome page."""
    if request.user.is_authenticated:
        try:
            family_for_user(request.user)  # one query, cached on the user for the dashboard
        except Http404:
            pass
        else:
            return _dashboard(request)
    return render(request, "portal/welcome.html", {"sections": dashboard_sections(request, public=True)})


@parent_required
def _dashboard(request):
    context = {"summary": family_home_summary(family=request.family), "counters": family_counters(request),
               "sections": dashboard_sections(request)}
    return render(request, "portal/home.html", context)


@parent_required
def my_data(request):
    """« Mes données »: the archive to download and the audit of staff decisions on the family file."""
    entries = list(
        AuditLog.objects.filter(family=request.family).select_related("actor").order_by("-at")[:200]
    )
    return render(request, "portal/my_data.html", {"entries": entries})


@parent_required
def my_data_archive(request):
    now = timezone.now()
    data = build_archive(request.family, now=now)
    response = HttpResponse(data, content_type="application/zip")
    filename = f"mes-donnees-famille-{request.family.number}-{timezone.localdate(now):%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def not_found(request, exception=None):
    return render(request, "portal/404.html", status=404)


def server_error(request):
    """500, or 503 « Service momentanément indisponible » when the database cannot be reached (a restart, a
    failover): the page needs no query, and the next request opens a new connection, so the portal recovers
    by itself once PostgreSQL is back."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return HttpResponse(render_to_string("portal/503.html"), status=503, headers={"Retry-After": "30"})
    return render(request, "portal/500.html", status=500)
