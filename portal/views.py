"""Core's own pages: the error pages, and the information pages every visitor can read (help,
accessibility statement, site map). (The home page and « Mes données » are the family's: families/home.py.)"""
import datetime
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from . import accessibility, sitemap


def not_found(request, exception=None):
    return render(request, "portal/404.html", status=404)


def server_error(request):
    """500, or 503 « Service momentanément indisponible » when the database cannot be reached (a restart, a
    failover): the page needs no query, and the next request opens a new connection, so the portal recovers
    by itself once PostgreSQL is back."""
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return HttpResponse(render_to_string("portal/503.html"), status=503, headers={"Retry-After": "30"})
    return render(request, "portal/500.html", status=500)


def help_page(request):
    """« Aide »: answers to the questions parents ask (booking, deadlines, absences, payment, documents)."""
    return render(request, "portal/help.html")


def sitemap_page(request):
    """« Plan du site »: every parent page (portal.sitemap)."""
    return render(request, "portal/sitemap.html", {"sections": sitemap.sections()})


def accessibility_statement(request):
    """« Déclaration d'accessibilité » (RGAA 4.1), after the DINUM model, with the figures the browser
    tests measured (portal.accessibility)."""
    figures = accessibility.statement_figures()
    audited_on = datetime.date.fromisoformat(figures["date"]) if figures["date"] else None
    return render(request, "portal/accessibility.html", {"figures": figures, "audited_on": audited_on})
