"""System checks of the core: with DEBUG off, the portal refuses to start with a cache local to one process.

Sessions, login throttling and the configuration version must be the same for every server process;
a process-local cache (LocMemCache, DummyCache, a file cache on one machine) lets a logout, a failed
login count or a staff change reach only one of them. ``manage.py check --deploy`` shows the error, and
``portal/wsgi.py`` runs the checks at start (gunicorn runs none) so such a server never serves.
"""
from django.conf import settings
from django.core.checks import Error, register
from django.core.management import call_command

# Test settings run with DEBUG off to exercise production code paths; they are the one exemption.
TEST_SETTINGS_MODULES = ("portal.settings_test", "portal.settings_test_sqlite")

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
    "django.core.cache.backends.filebased.FileBasedCache",
)


def is_test_settings():
    return getattr(settings, "SETTINGS_MODULE", "") in TEST_SETTINGS_MODULES


@register()
def shared_cache_check(app_configs=None, **kwargs):
    if settings.DEBUG or is_test_settings():
        return []
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    return [Error(
        "Le cache est propre à chaque processus alors que DEBUG est désactivé : avec plusieurs processus, une "
        "déconnexion, le nombre d'échecs de connexion et les modifications du service ne seraient pas vus de tous. "
        "/ The cache is local to each process while DEBUG is off: with several server processes, logouts, "
        "failed-login counts and staff changes would not reach all of them.",
        hint="Définissez REDIS_URL (par ex. redis://127.0.0.1:6379/0), partagé par tous les processus du portail. "
             "/ Set REDIS_URL (e.g. redis://127.0.0.1:6379/0), shared by every portal process.",
        id="portal.E001",
    )]


def refuse_to_serve_with_errors():
    """Run every system check; raise (the server process does not start) on any error. Called by wsgi.py."""
    if settings.DEBUG:
        return
    call_command("check", fail_level="ERROR", verbosity=0)
