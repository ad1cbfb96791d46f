from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enrolment"
    verbose_name = "Inscriptions et réservations"

    def ready(self):
        # AppConfig.ready: what imports models, and modules that register themselves (home block, « Mes
        # données » sections, « Mes demandes » sources, demo data, Celery tasks queued by name through
        # portal.queue).
        from . import dashboard, demo, gdpr, request_sources, staff_desk, tasks  # noqa: F401
        from .loaders import connect_signals

        connect_signals()  # catalogue writes drop the cached catalogue
