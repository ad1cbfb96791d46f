from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "families"
    verbose_name = "Familles"

    def ready(self):
        # Documents, consents and renewal (messaging/news/documents area): admin, jobs, home block, export,
        # consent check at login. Keep this line: these modules register themselves on import.
        from . import admin_documents, dashboard_documents, middleware_documents, tasks_documents  # noqa: F401
        from portal import caching

        from .models_documents import DocumentType, RenewalCampaign

        caching.watch(DocumentType, RenewalCampaign)  # cached configuration (services_documents)
