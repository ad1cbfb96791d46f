from django.urls import path

from . import views

app_name = "families"

urlpatterns = [
    path("", views.dossier, name="dossier"),
    path("modifier/foyer/", views.family_edit, name="family_edit"),
    path("modifier/responsable/<int:guardian_id>/", views.guardian_edit, name="guardian_edit"),
    path("enfants/", views.children, name="children"),
    path("enfants/ajouter/", views.child_add, name="child_add"),
    path("enfants/<int:child_id>/modifier/", views.child_edit, name="child_edit"),
    path("enfants/<int:child_id>/sante/", views.health_edit, name="health_edit"),
    path("enfants/<int:child_id>/personnes/ajouter/", views.person_add, name="person_add"),
    path("enfants/<int:child_id>/personnes/<int:person_id>/modifier/", views.person_edit, name="person_edit"),
    path("enfants/<int:child_id>/vaccins/ajouter/", views.vaccination_add, name="vaccination_add"),
    path("enfants/<int:child_id>/vaccins/<int:vaccination_id>/modifier/", views.vaccination_edit, name="vaccination_edit"),
    path("enfants/<int:child_id>/vaccins/<int:vaccination_id>/supprimer/", views.vaccination_delete,
         name="vaccination_delete"),
    path("demandes/", views.requests, name="requests"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
]
