"""The parents' menus page: the week's dishes of their children's sites, allergens written out, the dishes
with a child's declared allergen pointed out; and the month as a printable PDF."""
import datetime
from itertools import groupby

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from families.access import parent_required
from families.allergens import ALLERGENS, names

from . import rules, selectors
from .pdf import menus_month_pdf

ONE_WEEK = datetime.timedelta(days=7)


def _site(sites, structure_id):
    if structure_id is None:
        return sites[0] if sites else None
    site = next((site for site in sites if site.pk == structure_id), None)
    if site is None:
        raise Http404
    return site


def _children_summary(children):
    """What the page says about each child's allergies: the regulated ones ticked, and a free text that
    names none of them (the page cannot check those)."""
    rows = []
    for child in children:
        health = getattr(child, "health", None)
        declared = names(getattr(health, "food_allergens", ""))
        free_text = (getattr(health, "allergies", "") or "").strip()
        rows.append({"child": child, "declared": declared, "free_text": free_text,
                     "pai": bool(getattr(health, "pai", False))})
    return rows


@parent_required
def index(request, structure_id=None):
    sites = selectors.family_sites(family=request.family)
    site = _site(sites, structure_id)
    monday = rules.default_week(timezone.localdate())
    asked = request.GET.get("semaine")
    if asked:
        parsed = rules.parse_week(asked)
        if parsed is None:
            messages.error(request, "Cette date n'a pas été comprise : voici les menus de la semaine en cours.")
        else:
            monday = parsed
    context = {"sites": sites, "site": site, "monday": monday, "friday": monday + datetime.timedelta(days=4),
               "previous_week": monday - ONE_WEEK, "next_week": monday + ONE_WEEK, "allergens": ALLERGENS}
    if site is not None:
        children = selectors.site_children(family=request.family, structure=site)
        days = selectors.week(structure=site, monday=monday, children=children)
        month_day = monday + datetime.timedelta(days=3)
        context.update({
            "children": _children_summary(children), "days": days,
            "warned": sum(1 for day in days for item in day["dishes"] if item["alerts"]),
            "notes": selectors.site_notes(structure=site, first=monday, last=monday + datetime.timedelta(days=6)),
            "pdf_year": month_day.year, "pdf_month": month_day.month, "pdf_month_day": month_day,
        })
    return render(request, "menus/index.html", context)


@parent_required
def month_pdf(request, structure_id, year, month):
    site = _site(selectors.family_sites(family=request.family), structure_id)
    bounds = rules.month_bounds(year, month)
    if bounds is None:
        raise Http404
    first, last = bounds
    children = selectors.site_children(family=request.family, structure=site)
    days = selectors.dishes_between(structure=site, first=first, last=last, children=children)
    weeks = [list(week_days) for _monday, week_days in groupby(days, key=lambda day: rules.week_start(day["day"]))]
    content = menus_month_pdf(structure=site, first=first, last=last, weeks=weeks, children=_children_summary(children))
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="menus-{year:04d}-{month:02d}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
