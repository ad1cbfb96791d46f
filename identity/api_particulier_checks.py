"""System check: with DEBUG off, the portal refuses to start with the API Particulier simulator enabled
(it would answer quotients of its own demo allocataires). The test settings are the one exemption."""
from django.conf import settings
from django.core.checks import Error, Tags, register

from portal.checks import is_test_settings


@register(Tags.security)
def api_particulier_simulator_check(app_configs=None, **kwargs):
    if settings.DEBUG or is_test_settings() or not settings.API_PARTICULIER_SIMULATOR:
        return []
    return [Error(
        "Le simulateur d'API Particulier est activé alors que DEBUG est désactivé.",
        hint="Retirez API_PARTICULIER_SIMULATOR (ou mettez-le à false) et renseignez API_PARTICULIER_TOKEN et "
             "API_PARTICULIER_BASE_URL (README « Configurer API Particulier »).",
        id="identity.E002",
    )]
