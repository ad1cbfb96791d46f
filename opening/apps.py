from django.apps import AppConfig


class OpeningConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "opening"
    verbose_name = "Ouverture équitable des réservations (phase de demandes, attribution)"
