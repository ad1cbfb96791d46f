"""Included by allauth under ``/compte/`` (its provider URLs): /compte/franceconnect/login/ and its callback."""
from django.urls import path

from . import views

urlpatterns = [
    path("franceconnect/login/", views.login, name="franceconnect_login"),
    path("franceconnect/login/callback/", views.callback, name="franceconnect_callback"),
]
