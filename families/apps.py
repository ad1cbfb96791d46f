from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "families"
    verbose_name = "Familles"

    def ready(self):
        # AppConfig.ready: modules that register into core (home counter, demo data, « Mes données » sections,
        # housekeeping) and the Celery tasks (queued by name).
        from . import dashboard, demo, gdpr, housekeeping, tasks  # noqa: F401
        from .models import ChangeRequest
        from .request_sources import DOSSIER, register_request_source
        from .selectors import family_change_requests

        # « Mes demandes », « Mon dossier »: the family file's change requests (the apps above add theirs).
        register_request_source("change", "Dossier famille", family_change_requests, section=DOSSIER,
                                kinds=ChangeRequest.Kind.choices)
