from django.apps import AppConfig


class EarlychildhoodConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "earlychildhood"
    verbose_name = "Petite enfance (crèches)"

    def ready(self):
        # Modules that register themselves: the Inscriptions page section, « Mes données » sections, « Mes demandes »
        # source, demo data, Celery tasks.
        from . import dashboard, demo, gdpr, request_sources, tasks  # noqa: F401
