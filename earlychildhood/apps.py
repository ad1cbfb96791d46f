from django.apps import AppConfig


class EarlychildhoodConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "earlychildhood"
    verbose_name = "Petite enfance (crèches)"
