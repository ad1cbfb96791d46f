from django.apps import AppConfig


class IdentityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "identity"
    verbose_name = "Identité et données de l'État (FranceConnect, API Particulier, comptes créés par les familles)"

    def ready(self):
        from . import api_particulier_checks, quotient_demo  # noqa: F401  (register the system check, the demo step)
