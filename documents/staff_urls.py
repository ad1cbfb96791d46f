"""Staff URLs of the documents area, included at /personnel/documents/ by portal/urls.py."""
from django.urls import path

from . import staff_views

app_name = "documents_staff"

urlpatterns = [
    path("<int:pk>/fichier/", staff_views.document_file, name="file"),
    path("actualisations/<int:pk>/attestation/", staff_views.renewal_proof, name="renewal_proof"),
]
