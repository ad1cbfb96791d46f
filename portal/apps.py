from django.apps import AppConfig


class PortalConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "portal"
    verbose_name = "Portail"

    def ready(self):
        # AppConfig.ready: modules that register themselves (system checks, Celery tasks: portal.queue runs
        # a task queued by name in-process when there is no broker, which needs it registered here).
        from . import caching, checks, session, staff_home, tasks  # noqa: F401
        from .models import Organisation

        caching.watch(Organisation)  # Organisation.current() is kept in each process (portal.caching)
