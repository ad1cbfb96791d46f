from django.apps import AppConfig


class BillingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "billing"
    verbose_name = "Facturation"

    def ready(self):
        # AppConfig.ready: what imports models, and modules that register themselves (system checks, home
        # block, « Mes données » sections, demo data, Celery tasks queued by name through portal.queue).
        from enrolment.prices import register_price_provider  # ready(): the apps are loaded only now
        from enrolment.season import register_season_contributor

        from . import checks, dashboard, demo, gdpr, staff_desk, tasks  # noqa: F401
        from .pricing import TariffPrices  # ready(): it imports models
        from .season import TariffSeasonCopy

        checks.refuse_insecure_start()
        register_price_provider(TariffPrices())  # the indicative prices of enrolment's basket recap
        register_season_contributor(TariffSeasonCopy())  # tariffs copied with « Dupliquer pour la saison suivante »
