"""System checks: the portal refuses to start in production with a payment setting meant for tests.

Production means DEBUG off. The test settings (``portal.settings_test``: DEBUG off, fake provider on,
so tests run the real production code paths offline) are the one exemption.
"""
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from portal.checks import is_test_settings

from .models import Regie

@register(Tags.security)
def payment_settings_check(app_configs=None, **kwargs):
    if settings.DEBUG or is_test_settings():
        return []
    return payment_settings_errors() + _regie_checks()


def refuse_insecure_start():
    """Called from AppConfig.ready(): gunicorn runs no system check, so refuse to load at all."""
    if settings.DEBUG or is_test_settings():
        return
    errors = payment_settings_errors()
    if errors:
        raise ImproperlyConfigured(" ".join(f"{e.msg} {e.hint or ''}".strip() for e in errors))


def payment_settings_errors():
    errors = []
    if getattr(settings, "PAYMENT_FAKE_PROVIDER", False):
        errors.append(Error(
            "Le fournisseur de paiement de démonstration est activé alors que DEBUG est désactivé.",
            hint="Retirez PAYMENT_FAKE_PROVIDER (ou mettez-le à False) en production.", id="billing.E001",
        ))
    if getattr(settings, "PAYMENT_ACCEPT_TEST_MODE", False):
        errors.append(Error(
            "Les réponses de paiement en mode test sont acceptées alors que DEBUG est désactivé.",
            hint="Mettez PAYMENT_ACCEPT_TEST_MODE à False en production.", id="billing.E002",
        ))
    if getattr(settings, "PAYMENT_CONSIDER_ALL_RESPONSES_SIGNED", False):
        errors.append(Error(
            "Les réponses de paiement non signées sont considérées comme signées alors que DEBUG est désactivé.",
            hint="Mettez PAYMENT_CONSIDER_ALL_RESPONSES_SIGNED à False en production.", id="billing.E003",
        ))
    return errors


def _regie_checks():
    try:
        regies = list(Regie.objects.filter(is_active=True).exclude(payment_provider="").values_list(
            "name", "payment_provider", "payfip_mode", "payfip_numcli"
        ))
    except (DatabaseError, RuntimeError):  # database not created or not migrated yet (first migrate, collectstatic)
        return []
    errors = []
    for name, provider, mode, numcli in regies:
        if provider == "fake":
            errors.append(Error(
                f"La régie « {name} » utilise le fournisseur de paiement de démonstration.",
                hint="Choisissez PayFiP (ou aucun paiement en ligne) pour cette régie.", id="billing.E004",
            ))
        elif provider == "payfip_ws" and mode == "T":
            errors.append(Error(
                f"La régie « {name} » est configurée avec PayFiP en mode test (saisie T).",
                hint="Passez-la en mode production (W) ou activation (X).", id="billing.E005",
            ))
        elif provider == "payfip_ws" and not (numcli.isdigit() and len(numcli) == 6):
            errors.append(Error(
                f"La régie « {name} » n'a pas de numéro client PayFiP valide (6 chiffres).",
                id="billing.E006",
            ))
    return errors
