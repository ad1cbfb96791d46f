"""The parent's home page (dashboard) and « Mes données », at the root of the site (portal/urls.py includes
this module's ``urlpatterns`` at ""). Core (portal) knows no app: the home page is the family's, and the
blocks on it are registered by each app in ``portal.dashboard``; the archive's sections in ``portal.gdpr``."""
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from portal.dashboard import dashboard_sections, family_counters
from portal.gdpr import build_archive
from portal.models import AuditLog

from .access import family_for_user, parent_required
from .selectors import family_home_summary


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


urlpatterns = [
    path("", home, name="home"),
    path("mes-donnees/", my_data, name="my_data"),
    path("mes-donnees/archive.zip", my_data_archive, name="my_data_archive"),
]
