from django.apps import AppConfig


class MenusConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "menus"
    verbose_name = "Menus et allergènes"

    def ready(self):
        # AppConfig.ready: modules that register themselves (home block, demo data).
        from . import dashboard, demo  # noqa: F401
