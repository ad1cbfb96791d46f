"""Core's own pages: the error pages. (The home page and « Mes données » are the family's: families/home.py.)"""
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string


def not_found(request, exception=None):
    return render(request, "portal/404.html", status=404)


def server_error(request):
    """500, or 503 « Service momentanément indisponible » when the database cannot be reached (a restart, a
    failover): the page needs no query, and the next request opens a new connection, so the portal recovers
    by itself once PostgreSQL is back."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return HttpResponse(render_to_string("portal/503.html"), status=503, headers={"Retry-After": "30"})
    return render(request, "portal/500.html", status=500)
