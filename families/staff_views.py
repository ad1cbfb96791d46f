"""Staff page of one family: its file and what every app knows of it (bookings, invoices and balance,
payments, messages, documents), each row linked to its admin or staff page.

Included by portal/urls.py at /personnel/familles/ through ``portal.staff.staff_only``: the staff check is
applied there, once, for every view of this module.
"""
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Child, Family
from .staff_desk import family_sections


def family_page(request, pk):
    family = get_object_or_404(
        Family.objects.prefetch_related(
            "guardians", Prefetch("children", queryset=Child.objects.select_related("health")),
        ), pk=pk
    )
    today = timezone.localdate()
    sections = [
        {"title": section["title"],
         "html": render_to_string(section["template"], {**section, "family": family, "today": today}, request=request)}
        for section in family_sections(family, today)
    ]
    return render(request, "families/staff/family.html", {
        "family": family, "guardians": family.guardians.all(), "children": family.children.all(),
        "sections": sections, "today": today,
    })
