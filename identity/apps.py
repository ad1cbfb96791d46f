from django.apps import AppConfig


class IdentityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "identity"
    verbose_name = "Identité et données de l'État (FranceConnect, API Particulier, comptes créés par les familles)"

    def ready(self):
        # System checks (refuse the local provider and the API Particulier simulator in production) and demo
        # data, registered into core.
        from . import api_particulier_checks, checks, demo, quotient_demo  # noqa: F401

        checks.refuse_insecure_start()
