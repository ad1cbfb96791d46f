"""Staff URLs of the enrolment area, included at /personnel/inscriptions/ by portal/urls.py (staff only)."""
from django.urls import path

from . import staff_views

app_name = "enrolment_staff"

urlpatterns = [
    path("presences/", staff_views.attendance, name="attendance"),
    path("pointage/", staff_views.check_in, name="check_in"),
    path("pointage/envoi/", staff_views.check_in_tap, name="check_in_tap"),
    path("occupation/", staff_views.occupancy, name="occupancy"),
    path("saison-suivante/", staff_views.season_copy_view, name="season_copy"),
    path("passage-de-classe/", staff_views.move_up_view, name="move_up"),
    path("certificat/<int:booking_id>/", staff_views.certificate_file, name="certificate_file"),
]
