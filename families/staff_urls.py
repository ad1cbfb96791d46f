"""Staff URLs of the family file, included at /personnel/familles/ by portal/urls.py (staff only)."""
from django.urls import path

from . import staff_views

app_name = "families_staff"

urlpatterns = [
    path("<int:pk>/", staff_views.family_page, name="family"),
]
