from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"
    verbose_name = "Messagerie"

    def ready(self):
        # AppConfig.ready: modules that register themselves (badge, home block, « Mes données », demo data).
        from . import dashboard, demo, gdpr, staff_desk  # noqa: F401
