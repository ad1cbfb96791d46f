"""Staff URLs of the reports, included at /personnel/rapports/ by portal/urls.py (staff only)."""
from django.urls import path

from . import staff_views

app_name = "reports_staff"

urlpatterns = [
    path("caf/", staff_views.caf, name="caf"),
    path("statistiques/", staff_views.statistics, name="statistics"),
]
