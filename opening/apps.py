from django.apps import AppConfig


class OpeningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opening"
    verbose_name = "Ouverture équitable des réservations (phase de demandes, attribution)"

    def ready(self):
        # AppConfig.ready: the request store enrolment's basket commit asks (enrolment never imports this
        # app), the home block, « Mes données » sections, the « Mes demandes » source, the demo window and the Celery
        # tasks queued by name.
        from enrolment.requests import register_request_store

        from . import dashboard, demo, gdpr, request_sources, tasks  # noqa: F401
        from .services import RequestStore

        register_request_store(RequestStore())
