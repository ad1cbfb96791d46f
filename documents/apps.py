from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "documents"
    verbose_name = "Documents, consentements et actualisation"

    def ready(self):
        # AppConfig.ready: modules that register themselves (home block, « Mes données » sections, demo data,
        # the consent check at login, Celery tasks), the cached configuration, and the file-completeness check
        # that families' enrolment rules ask for.
        from families.completeness import register_check
        from portal import caching

        from . import dashboard, demo, gdpr, middleware, staff_desk, tasks  # noqa: F401
        from .models import DocumentType, RenewalCampaign
        from .selectors import family_file_complete

        caching.watch(DocumentType, RenewalCampaign)  # cached configuration (selectors)
        register_check(family_file_complete)
