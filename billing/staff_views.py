"""Staff pages of the billing area outside the admin: any family's invoice PDF (linked from the invoice admin).

Included by portal/urls.py at /personnel/facturation/ through ``portal.staff.staff_only``: the staff check is
applied there, once, for every view of this module.
"""
from django.shortcuts import get_object_or_404

from portal.models import Organisation

from .models import Invoice
from .views import invoice_pdf_response


def invoice_download(request, pk):
    """Any invoice's PDF, served like the parents' one (the stored copy while it is up to date)."""
    invoice = get_object_or_404(Invoice.objects.select_related("regie", "pdf"), pk=pk)
    return invoice_pdf_response(invoice, organisation=Organisation.current())
