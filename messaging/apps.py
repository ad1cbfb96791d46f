from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"
    verbose_name = "Messagerie"

    def ready(self):
        from . import dashboard, gdpr  # noqa: F401  (registers the badge, home block and export)
