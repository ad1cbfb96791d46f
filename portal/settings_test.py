"""Test settings: PostgreSQL (required, never skipped), eager Celery, locmem e-mail."""
import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
os.environ.pop("REDIS_URL", None)

from .settings import *  # noqa: E402,F401,F403
from .settings import DATABASES  # noqa: E402

if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise RuntimeError("Tests run on PostgreSQL only: set DATABASE_URL to a postgres:// URL.")

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
MEDIA_ROOT = Path(os.environ.get("TEST_MEDIA_ROOT", "/tmp/portal-test-media"))  # noqa: F405
PAYMENT_FAKE_PROVIDER = True
OUTBOX_SWEEP_IN_REQUESTS = False  # sweeps are run explicitly by the tests (portal/middleware.py)
API_PARTICULIER_SIMULATOR = True  # the simulator answers the client's calls in tests (no network)
FRANCECONNECT_LOCAL_PROVIDER = True  # the local OpenID provider (identity app) runs the real client offline
FRANCECONNECT_CLIENT_ID, FRANCECONNECT_SECRET = "portail-familles-local", "secret-local-de-demonstration"
SOCIALACCOUNT_PROVIDERS = {"franceconnect": {"APPS": [{"client_id": FRANCECONNECT_CLIENT_ID, "secret": FRANCECONNECT_SECRET, "settings": {"server_url": ""}}]}}
SMS_PROVIDER = "fake"  # SMS are recorded, never sent (messaging.sms.FakeSmsProvider)
