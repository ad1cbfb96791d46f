"""Staff pages of the billing area outside the admin: any family's invoice PDF (linked from the invoice admin),
the reminder letters of a reminder run, and a year's tax statements of every family (a zip of PDFs).

Included by portal/urls.py at /personnel/facturation/ through ``portal.staff.staff_only``: the staff check is
applied there, once, for every view of this module.
"""
import io
import zipfile

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from portal.models import Organisation

from . import selectors
from .models import Invoice, InvoiceReminder
from .pdf import certificate_pdf, reminder_letters_pdf
from .views import invoice_pdf_response, pdf_response

MAX_LETTERS = 500


def invoice_download(request, pk):
    """Any invoice's PDF, served like the parents' one (the stored copy while it is up to date)."""
    invoice = get_object_or_404(Invoice.objects.select_related("regie", "pdf"), pk=pk)
    return invoice_pdf_response(invoice, organisation=Organisation.current())


def reminder_letters(request):
    """The letters of the reminders ``?ids=1,2,3`` (the admin's « Relancer » action links here), one page each."""
    ids = [int(i) for i in request.GET.get("ids", "").split(",") if i.strip().isdigit()][:MAX_LETTERS]
    reminders = list(InvoiceReminder.objects.filter(pk__in=ids).select_related("invoice__regie").order_by(
        "invoice__family_name", "invoice__number"))
    if not reminders:
        raise Http404
    return pdf_response(reminder_letters_pdf(reminders), f"relances-{timezone.localdate():%Y%m%d}.pdf")


def certificates(request):
    """Tax statements (attestations de frais de garde) of a whole year: the page, and the zip of one PDF per family."""
    today = timezone.localdate()
    years = selectors.certificate_years(today)
    year = request.GET.get("annee", "")
    if not year:
        return render(request, "billing/staff_certificates.html", {"years": years})
    if not year.isdigit() or int(year) not in years + [today.year]:
        raise Http404
    year = int(year)
    buffer = io.BytesIO()
    count = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for family in selectors.certificate_families(year=year):
            data = selectors.childcare_certificate(family=family, year=year)
            if data["rows"]:
                archive.writestr(f"attestation-{year}-famille-{family.number}.pdf", certificate_pdf(family=family, data=data))
                count += 1
    if not count:
        return render(request, "billing/staff_certificates.html", {"years": years, "empty_year": year}, status=200)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="attestations-frais-de-garde-{year}.zip"'
    response["Cache-Control"] = "private, no-store"
    return response
