from django.shortcuts import render

from families.access import parent_required
from families.selectors import family_home_summary

from .dashboard import dashboard_sections


def home(request):
    """Logged-in parents get their dashboard; everyone else the public welcome page."""
    if request.user.is_authenticated and hasattr(request.user, "guardian"):
        return _dashboard(request)
    return render(request, "portal/welcome.html", {"sections": dashboard_sections(request, public=True)})


@parent_required
def _dashboard(request):
    context = {"summary": family_home_summary(family=request.family), "sections": dashboard_sections(request)}
    return render(request, "portal/home.html", context)


def not_found(request, exception=None):
    return render(request, "portal/404.html", status=404)


def server_error(request):
    return render(request, "portal/500.html", status=500)
