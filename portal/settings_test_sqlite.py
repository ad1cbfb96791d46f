"""Test settings on SQLite, the embedded default: ``portal.settings_test`` with its database swapped.

The booking service tests run on both databases (``scripts/test`` runs them a second time with this
module): SQLite and PostgreSQL run the same booking code. Everything else of ``settings_test`` (eager
Celery, locmem e-mail and cache, fast hasher…) is imported, not copied, so the two runs never drift.
``settings_test`` refuses any database but PostgreSQL; it is loaded with a PostgreSQL URL, which is
replaced right after (nothing connects at import time), and the caller's ``DATABASE_URL`` is restored.
"""
import os

_caller_url = os.environ.get("DATABASE_URL")
os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/portal"
try:
    from .settings_test import *  # noqa: E402,F401,F403
finally:
    if _caller_url is None:
        os.environ.pop("DATABASE_URL", None)
    else:
        os.environ["DATABASE_URL"] = _caller_url

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "ATOMIC_REQUESTS": False,
        "CONN_MAX_AGE": 0,
        "TEST": {"NAME": ":memory:"},
    },
}
