from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = "Facturation"

    def ready(self):
        from . import checks, dashboard, gdpr  # noqa: F401  (system checks, home block, « Mes données » section)

        checks.refuse_insecure_start()
