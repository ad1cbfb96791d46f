"""Staff URLs of the billing area, included at /personnel/facturation/ by portal/urls.py (staff only)."""
from django.urls import path

from . import staff_views

app_name = "billing_staff"

urlpatterns = [
    path("factures/<int:pk>.pdf", staff_views.invoice_download, name="invoice_pdf"),
]
