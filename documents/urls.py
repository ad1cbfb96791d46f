"""Parent URLs of the documents area, included at /dossier/ by portal/urls.py."""
from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("documents/", views.index, name="index"),
    path("documents/<int:pk>/fichier/", views.document_file, name="file"),
    path("consentements/", views.consents, name="consents"),
    path("actualisation/", views.renewal, name="renewal"),
    path("actualisation/<int:pk>/attestation/", views.renewal_proof, name="renewal_proof"),
]
