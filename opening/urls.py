from django.urls import path

from . import views

app_name = "opening"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:phase_id>/resultat/", views.result, name="result"),
]
