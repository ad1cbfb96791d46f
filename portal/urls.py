from django.contrib import admin
from django.urls import include, path

from . import views

admin.site.site_header = "Portail Familles – administration"
admin.site.site_title = "Portail Familles"
admin.site.index_title = "Gestion du service enfance"

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/", admin.site.urls),
    path("compte/", include("allauth.urls")),
    path("famille/", include("families.urls")),
    path("dossier/", include("families.urls_documents")),
    path("mes-donnees/", views.my_data, name="my_data"),
    path("mes-donnees/archive.zip", views.my_data_archive, name="my_data_archive"),
    path("inscriptions/", include("enrolment.urls")),
    path("facturation/", include("billing.urls")),
    path("messagerie/", include("messaging.urls")),
    path("actualites/", include("news.urls")),
]

handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
