from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "families"
    verbose_name = "Familles"

    def ready(self):
        # AppConfig.ready: modules that register into core (home counter, demo data, « Mes données » sections,
        # housekeeping).
        from . import dashboard, demo, gdpr, housekeeping  # noqa: F401
