from django.apps import AppConfig


class NewsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "news"
    verbose_name = "Actualités et documents"

    def ready(self):
        from portal import caching

        from . import dashboard  # noqa: F401  (registers the home-page block)
        from .models import NewsPost

        caching.watch(NewsPost)  # the home blocks' cached posts (selectors.home_posts)
