"""Staff URLs of the quotient history, included under /personnel/quotient/ (staff only, portal.staff)."""
from django.urls import path

from . import quotient_staff_views

app_name = "quotient_staff"

urlpatterns = [
    path("<int:pk>/attestation/", quotient_staff_views.quotient_proof_file, name="proof"),
]
