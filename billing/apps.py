from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = "Facturation"

    def ready(self):
        from . import checks, dashboard  # noqa: F401  (register the system checks and the home block)

        checks.refuse_insecure_start()
