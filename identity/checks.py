"""System check: the local OpenID provider (demo identities) never runs in production (DEBUG off)."""
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from portal.checks import is_test_settings


@register(Tags.security)
def local_provider_check(app_configs=None, **kwargs):
    if settings.DEBUG or is_test_settings() or not getattr(settings, "FRANCECONNECT_LOCAL_PROVIDER", False):
        return []
    return [Error(
        "Le fournisseur d'identité local (identités FranceConnect de démonstration) est activé alors que DEBUG est "
        "désactivé : n'importe qui pourrait se connecter sous une identité de démonstration.",
        hint="Retirez FRANCECONNECT_LOCAL_PROVIDER (ou mettez-le à False) et configurez FRANCECONNECT_CLIENT_ID, "
             "FRANCECONNECT_SECRET et FRANCECONNECT_DISCOVERY_URL.",
        id="identity.E001",
    )]


def refuse_insecure_start():
    """Called from AppConfig.ready(): gunicorn runs no system check, so refuse to load at all."""
    errors = local_provider_check()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} {errors[0].hint}")
