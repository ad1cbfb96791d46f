"""Staff URLs of the messaging, included at /personnel/messagerie/ by portal/urls.py (staff only)."""
from django.urls import path

from . import staff_views

app_name = "messaging_staff"

urlpatterns = [
    path("", staff_views.inbox, name="inbox"),
    path("nouveau/", staff_views.compose, name="compose"),
    path("<int:pk>/", staff_views.thread, name="thread"),
    path("envois/", staff_views.mass_list, name="mass_list"),
    path("envois/nouveau/", staff_views.mass_compose, name="mass_compose"),
    path("sms/", staff_views.sms_list, name="sms_list"),
    path("piece-jointe/<int:pk>/", staff_views.attachment, name="attachment"),
]
