from django.apps import AppConfig


class NewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "news"
    verbose_name = "Actualités et documents"

    def ready(self):
        # AppConfig.ready: what imports models, and modules that register themselves (home block, demo data).
        from portal import caching

        from . import dashboard, demo  # noqa: F401
        from .models import NewsPost

        caching.watch(NewsPost)  # the home blocks' cached posts (selectors.home_posts)
