"""The printable A4 PDF of a site's menus for a month, with the family's allergen warnings (PDF/UA-1)."""
from django.template.loader import render_to_string
from django.utils import formats, timezone

from portal.models import Organisation
from portal.pdf import html_to_pdf


def month_title(*, structure, first):
    return f"Menus de {formats.date_format(first, 'F Y')} – {structure.name}"


def menus_month_pdf(*, structure, first, last, weeks, children):
    html = render_to_string("menus/pdf/month.html", {
        "organisation": Organisation.current(), "structure": structure, "first": first, "last": last,
        "weeks": weeks, "children": children, "title": month_title(structure=structure, first=first),
        "today": timezone.localdate(),
    })
    return html_to_pdf(html)
