"""With DEBUG off the portal refuses a cache local to one process: a system check error (portal.E001) that
``check --deploy`` shows, and a server that does not start."""
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from portal import checks

LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SHARED = {"default": {"BACKEND": "portal.cache.RedisCache", "LOCATION": "redis://127.0.0.1:6379/15"}}


@pytest.fixture
def production(monkeypatch, settings):
    monkeypatch.setattr(checks, "is_test_settings", lambda: False)
    settings.DEBUG = False


def test_a_process_local_cache_is_an_error_with_the_fix_in_french_and_english(production, settings):
    settings.CACHES = LOCAL
    errors = checks.shared_cache_check()
    assert [e.id for e in errors] == ["portal.E001"]
    assert "REDIS_URL" in errors[0].hint and "Définissez" in errors[0].hint and "Set REDIS_URL" in errors[0].hint
    with pytest.raises(SystemCheckError, match="portal.E001"):
        call_command("check", "--deploy", "--fail-level", "ERROR")


def test_a_shared_cache_or_debug_passes(production, settings):
    settings.CACHES = SHARED
    assert checks.shared_cache_check() == []
    settings.CACHES, settings.DEBUG = LOCAL, True
    assert checks.shared_cache_check() == []


def test_a_server_with_a_process_local_cache_does_not_start():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "REDIS_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", DEBUG="false", PAYMENT_FAKE_PROVIDER="false",
               SECRET_KEY="check-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")
    done = subprocess.run([sys.executable, "-c", "import portal.wsgi"], capture_output=True, text=True, timeout=120,
                          env=env, cwd=checks.settings.BASE_DIR)
    assert done.returncode != 0 and "portal.E001" in done.stderr
