from django.apps import AppConfig


class IdentityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "identity"
    verbose_name = "Identité et données de l'État (FranceConnect, API Particulier, comptes créés par les familles)"

    def ready(self):
        # System check (refuses the local provider in production) and demo data, registered into core.
        from . import checks, demo  # noqa: F401

        checks.refuse_insecure_start()
