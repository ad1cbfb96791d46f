"""Parent URLs of « Petite enfance », included at /petite-enfance/ by portal/urls.py."""
from django.urls import path

from . import views

app_name = "earlychildhood"

urlpatterns = [
    path("", views.index, name="index"),
    path("demande/", views.request_form, name="request"),
    path("demande/<int:pre_id>/modifier/", views.request_form, name="request_edit"),
    path("demande/<int:pre_id>/confirmer/", views.confirm, name="confirm"),
    path("demande/<int:pre_id>/retirer/", views.withdraw, name="withdraw"),
    path("demande/<int:pre_id>/naissance/", views.birth, name="birth"),
    path("proposition/<int:decision_id>/", views.offer, name="offer"),
    path("contrat/<int:contract_id>/", views.contract, name="contract"),
]
