"""System checks: the portal refuses to start in production with the fake SMS provider, or with OVH
half configured.

Production means DEBUG off; the test settings (DEBUG off, fake provider on) are the one exemption.
"""
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

from portal.checks import is_test_settings

from .sms import PROVIDERS

OVH_SETTINGS = ("OVH_APPLICATION_KEY", "OVH_APPLICATION_SECRET", "OVH_CONSUMER_KEY", "OVH_SMS_SERVICE")


@register(Tags.security)
def sms_settings_check(app_configs=None, **kwargs):
    if settings.DEBUG or is_test_settings():
        return []
    return sms_settings_errors()


def refuse_insecure_start():
    """Called from AppConfig.ready(): gunicorn runs no system check, so refuse to load at all."""
    if settings.DEBUG or is_test_settings():
        return
    errors = sms_settings_errors()
    if errors:
        raise ImproperlyConfigured(" ".join(f"{e.msg} {e.hint or ''}".strip() for e in errors))


def sms_settings_errors():
    provider = getattr(settings, "SMS_PROVIDER", "")
    if provider == "fake":
        return [Error(
            "Le fournisseur de SMS de démonstration est activé alors que DEBUG est désactivé : aucun SMS ne "
            "partirait.", hint="Mettez SMS_PROVIDER=ovh (avec les réglages OVH_…) ou laissez-le vide.",
            id="messaging.E001",
        )]
    if provider and provider not in PROVIDERS:
        return [Error(f"SMS_PROVIDER={provider!r} est inconnu.", hint="Valeurs possibles : ovh, ou vide.",
                      id="messaging.E002")]
    if provider == "ovh":
        missing = [name for name in OVH_SETTINGS if not getattr(settings, name, "")]
        if missing:
            return [Error(f"SMS_PROVIDER=ovh mais {', '.join(missing)} manquant(s).",
                          hint="Créez les clés sur https://eu.api.ovh.com/createToken/ (droit POST /sms/*/jobs).",
                          id="messaging.E003")]
    return []
