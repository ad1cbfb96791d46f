from django.apps import AppConfig


class EnrolmentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "enrolment"
    verbose_name = "Inscriptions et réservations"

    def ready(self):
        from . import dashboard  # noqa: F401  (registers the home-page block)
        from .loaders import connect_signals

        connect_signals()  # catalogue writes drop the cached catalogue
