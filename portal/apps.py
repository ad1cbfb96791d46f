from django.apps import AppConfig


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = "Portail"

    def ready(self):
        from . import caching, checks  # noqa: F401  (system checks)
        from .models import Organisation

        caching.watch(Organisation)  # Organisation.current() is kept in each process (portal.caching)
