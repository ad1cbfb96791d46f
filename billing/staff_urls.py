"""Staff URLs of the billing area, included at /personnel/facturation/ by portal/urls.py (staff only)."""
from django.urls import path

from . import staff_views

app_name = "billing_staff"

urlpatterns = [
    path("factures/<int:pk>.pdf", staff_views.invoice_download, name="invoice_pdf"),
    path("relances/courriers.pdf", staff_views.reminder_letters, name="reminder_letters"),
    path("attestations/", staff_views.certificates, name="certificates"),
]
