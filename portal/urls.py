from django.contrib import admin
from django.urls import include, path

from . import views
from .session import session_extend
from .staff import staff_only

admin.site.site_header = "Portail Familles – administration"
admin.site.site_title = "Portail Familles"
admin.site.index_title = "Gestion du service enfance"

urlpatterns = [
    path("", include("families.home")),  # the home page and « Mes données » (the family's)
    path("admin/", admin.site.urls),
    path("compte/session/prolonger/", session_extend, name="session_extend"),
    path("compte/", include("allauth.urls")),
    path("famille/quotient/", include("identity.quotient_urls")),  # API Particulier, certificate (identity)
    path("famille/", include("families.urls")),
    path("dossier/", include("documents.urls")),
    path("inscriptions/", include("enrolment.urls")),
    path("facturation/", include("billing.urls")),
    path("messagerie/", include("messaging.urls")),
    path("actualites/", include("news.urls")),
    path("menus/", include("menus.urls")),
    path("aide/", views.help_page, name="help"),
    path("accessibilite/", views.accessibility_statement, name="accessibility"),
    path("plan-du-site/", views.sitemap_page, name="sitemap"),
    path("petite-enfance/", include("earlychildhood.urls")),
    path("ouverture/", include("opening.urls")),
    path("identite/", include("identity.urls")),
    # Staff pages outside the admin, staff only: the check is applied here, once per app (portal.staff).
    path("personnel/familles/", staff_only("families.staff_urls")),
    path("personnel/documents/", staff_only("documents.staff_urls")),
    path("personnel/inscriptions/", staff_only("enrolment.staff_urls")),
    path("personnel/facturation/", staff_only("billing.staff_urls")),
    path("personnel/messagerie/", staff_only("messaging.staff_urls")),
    path("personnel/quotient/", staff_only("identity.quotient_staff_urls")),
    # The API Particulier simulator (identity): answers 404 unless API_PARTICULIER_SIMULATOR (refused in production).
    path("simulateurs/api-particulier/", include("identity.api_particulier_simulator")),
    path("personnel/petite-enfance/", staff_only("earlychildhood.staff_urls")),
    path("personnel/ouverture/", staff_only("opening.staff_urls")),
    path("personnel/rapports/", staff_only("reports.staff_urls")),
]

handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"
