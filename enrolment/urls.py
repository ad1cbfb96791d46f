from django.urls import path

from . import views

app_name = "enrolment"

urlpatterns = [
    path("", views.index, name="index"),
    path("demande/", views.request_enrolment, name="request"),
    path("attestation/<int:enrolment_id>/", views.certificate, name="certificate"),
    path("planning/", views.planning, name="planning"),
    path("planning/<int:enrolment_id>/", views.month_default, name="month_default"),
    path("planning/<int:enrolment_id>/<int:year>/<int:month>/", views.month, name="month"),
    path("planning/<int:enrolment_id>/semaine/<int:year>/<int:month>/<int:day>/", views.week, name="week"),
    path("planning/<int:enrolment_id>/quinzaine/", views.fortnight_default, name="fortnight_default"),
    path("planning/<int:enrolment_id>/quinzaine/<int:year>/<int:month>/<int:day>/", views.fortnight,
         name="fortnight"),
    path("planning/<int:enrolment_id>/selection/<str:mode>/", views.pattern, name="pattern"),
    path("planning/<int:enrolment_id>/regles/", views.unit_rules_check, name="unit_rules"),
    path("planning/<int:enrolment_id>/liste-attente/", views.waiting_join, name="waiting_join"),
    path("liste-attente/<int:entry_id>/retirer/", views.waiting_leave, name="waiting_leave"),
    path("panier/", views.basket_view, name="basket"),
    path("panier/confirmation/", views.confirmation, name="confirmation"),
    path("enfant/<int:child_id>/", views.child_month_default, name="child_month_default"),
    path("enfant/<int:child_id>/<int:year>/<int:month>/", views.child_month, name="child_month"),
    path("absence/<int:booking_id>/", views.absence, name="absence"),
    path("agenda/", views.feed_manage, name="feed_manage"),
    path("agenda/<str:token>.ics", views.feed, name="feed"),
]
