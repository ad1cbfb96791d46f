"""Staff URLs of « Petite enfance », included at /personnel/petite-enfance/ through portal.staff.staff_only."""
from django.urls import path

from . import staff_views

app_name = "earlychildhood_staff"

urlpatterns = [
    path("", staff_views.home, name="home"),
    path("commission/<int:session_id>/", staff_views.session_detail, name="session"),
    path("commission/<int:session_id>/proces-verbal.pdf", staff_views.session_minute, name="minute"),
    path("presences/", staff_views.attendance, name="attendance"),
    path("facturation/", staff_views.invoicing, name="invoicing"),
]
