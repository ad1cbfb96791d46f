"""Staff URLs of the fair opening, included at /personnel/ouverture/ by portal/urls.py (staff only)."""
from django.urls import path

from . import staff_views

app_name = "opening_staff"

urlpatterns = [
    path("", staff_views.index, name="index"),
    path("<int:phase_id>/", staff_views.phase, name="phase"),
]
