"""PDF documents rendered with WeasyPrint from HTML templates (A4, French, print-ready)."""
import threading
from itertools import groupby

from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import Organisation
from portal.pdf import html_to_pdf

from .models import CreditNote, InvoiceLine
from .pricing import ZERO

# Per thread (Pango's font map is not shared between threads): WeasyPrint's font configuration and
# the parsed stylesheets. Both depend only on the installed fonts and on files of the code, never
# on data, so they live as long as the process.
_local = threading.local()


def _font_config():
    font_config = getattr(_local, "font_config", None)
    if font_config is None:
        from weasyprint.text.fonts import FontConfiguration  # imported lazily: ~0.7 s with weasyprint

        font_config = _local.font_config = FontConfiguration()
        _local.stylesheets = {}
    return font_config


def _stylesheet(name):
    """The parsed ``weasyprint.CSS`` of template ``name`` (static CSS, no context), once per thread."""
    font_config = _font_config()
    css = _local.stylesheets.get(name)
    if css is None:
        from weasyprint import CSS  # imported lazily: ~0.7 s with weasyprint

        css = _local.stylesheets[name] = CSS(string=render_to_string(name), font_config=font_config)
    return css


def _render(template, context, stylesheet=None, organisation=None):
    html = render_to_string(template, {"organisation": organisation or Organisation.current(), **context})
    font_config = _font_config()
    stylesheets = [_stylesheet(stylesheet)] if stylesheet else None
    return html_to_pdf(html, stylesheets=stylesheets, font_config=font_config)  # tagged PDF/UA-1


def invoice_line_groups(invoice):
    """Lines grouped by child, then activity, then unit and price (one row with its days), with
    subtotals (1 query). A month of daily meals stays one row, so the PDF stays short and fast."""
    lines = list(
        InvoiceLine.objects.filter(invoice=invoice).order_by("child_name", "activity_name", "unit_name", "unit_price", "date")
    )
    groups = []
    for child_name, child_lines in groupby(lines, key=lambda line: line.child_name):
        activities = []
        for activity_name, activity_lines in groupby(child_lines, key=lambda line: line.activity_name):
            rows = []
            for (unit_name, tariff_label, unit_price), unit_lines in groupby(
                activity_lines, key=lambda line: (line.unit_name, line.tariff_label, line.unit_price)
            ):
                unit_lines = list(unit_lines)
                rows.append({
                    "unit_name": unit_name, "tariff_label": tariff_label, "unit_price": unit_price,
                    "days": ", ".join(
                        f"{line.date:%d/%m}" + (" (absence facturée)" if line.state_label == "Absent facturé" else "")
                        for line in unit_lines
                    ),
                    "quantity": sum(line.quantity for line in unit_lines),
                    "amount": sum((line.amount for line in unit_lines), ZERO),
                })
            activities.append({"name": activity_name, "rows": rows, "subtotal": sum((r["amount"] for r in rows), ZERO)})
        groups.append({"child_name": child_name, "activities": activities})
    return groups


# What ``invoice_pdf`` renders from: billing.services.invoice_pdfs fingerprints these files' sources.
INVOICE_TEMPLATE, INVOICE_STYLESHEET = "billing/pdf/invoice.html", "billing/pdf/invoice.css"


def invoice_pdf(invoice, organisation=None):
    """Render the invoice PDF (bytes). Downloads go through ``billing.services.invoice_pdfs``, which
    stores the result and serves it again while nothing it shows has changed."""
    credit_notes = list(CreditNote.objects.filter(invoice=invoice).order_by("issued_on", "pk"))
    return _render(INVOICE_TEMPLATE, {
        "invoice": invoice, "regie": invoice.regie, "groups": invoice_line_groups(invoice), "credit_notes": credit_notes,
    }, stylesheet=INVOICE_STYLESHEET, organisation=organisation)


def certificate_pdf(*, family, data):
    return _render("billing/pdf/certificate.html", {
        "family": family, "data": data, "today": timezone.localdate(),
        "regies": list(family.invoices.filter(regie__childcare_certificate=True).values_list("regie__name", flat=True).distinct()),
    })


def reminder_letters_pdf(reminders):
    """One letter per reminder (a page each), in one PDF to print and post."""
    return _render("billing/pdf/reminder.html", {"reminders": reminders})

