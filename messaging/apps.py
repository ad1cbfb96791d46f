from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"
    verbose_name = "Messagerie"

    def ready(self):
        # AppConfig.ready: modules that register themselves (badge, home block, staff home, staff family page,
        # « Mes données », demo data, system checks, Celery tasks queued by name through portal.queue).
        from . import checks, dashboard, demo, gdpr, staff_desk, tasks  # noqa: F401

        checks.refuse_insecure_start()
