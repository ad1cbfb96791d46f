"""Settings of the Portail Familles.

Everything that differs between a laptop demo and production comes from the
environment. With nothing set, the portal runs on SQLite, runs Celery tasks
in-process and prints e-mails on the console (the "embedded default").
"""
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env(
    "SECRET_KEY",
    default="django-insecure-demo-key-only-for-the-embedded-default-change-me",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Public address of the portal, used in e-mails and payment return URLs.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",  # FranceConnect (identity app)
    "crispy_forms",
    "crispy_bootstrap5",
    "portal",
    "families",
    "documents",
    "enrolment",
    "billing",
    "messaging",
    "news",
    "identity",
    "opening",
    "earlychildhood",
    "menus",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "documents.middleware.ConsentMiddleware",
    "portal.middleware.SecurityHeadersMiddleware",
    "portal.admin_l10n.AdminFrenchMiddleware",  # French titles and yes/no alt texts in the admin
]

ROOT_URLCONF = "portal.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
            # French text filters on every template (fr_plural, de, fr_size, fr_euros): portal/templatetags.
            "builtins": ["portal.templatetags.portal_text"],
        },
    },
]

WSGI_APPLICATION = "portal.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
# PostgreSQL: psycopg binds parameters on the server and prepares the queries a connection repeats, so
# PostgreSQL plans them once (−40 % database CPU per page in BENCHMARKS.md). The whole suite and the
# admin crawl (portal/tests/test_admin_pages.py) run with it; DB_SERVER_SIDE_BINDING=false turns it off.
if env.bool("DB_SERVER_SIDE_BINDING", default=True) and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    # Prepared after this many executions on one connection (0: never; needed off behind a pooler in
    # transaction mode).
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = env.int("DB_PREPARE_THRESHOLD", default=5) or None
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Staff log in to the admin with their username (Django's backend), parents with their e-mail (allauth's);
# both load the session's user with its guardian and family in one query (families/auth.py).
AUTHENTICATION_BACKENDS = [
    "families.auth.StaffBackend",
    "families.auth.ParentBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "first_name", "last_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "portal.passwords.CharacterClassesValidator"},
]
# Argon2id at the OWASP minimum (portal/passwords.py); PBKDF2 stays to verify older hashes, which are
# rehashed with Argon2id at the next login.
PASSWORD_HASHERS = [
    "portal.passwords.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    # Private uploads (documents, attachments, health certificates) are never
    # served from a public URL: MEDIA_ROOT is outside the static tree and only
    # views that check the family or staff stream them.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "private_media")))
MEDIA_URL = "/_no_public_media/"  # never routed: private files go through checking views
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024

# --- Cache -------------------------------------------------------------------
# Shared by every server process: login throttling (allauth's rate limits), the configuration version
# (portal/caching.py), job locks. With DEBUG off a cache local to one process is refused at start
# (portal/checks.py). django-redis with IGNORE_EXCEPTIONS: when Redis is down a cache read is a miss and
# a write is skipped, with short timeouts, so pages, logins and bookings keep working, only slower.
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {
        "BACKEND": "portal.cache.RedisCache",  # django-redis; see portal/cache.py for add() in an outage
        "LOCATION": REDIS_URL,
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
            "SOCKET_TIMEOUT": env.float("REDIS_TIMEOUT", default=0.5),
        },
    }}
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    DJANGO_REDIS_LOGGER = "portal.cache"
else:  # the embedded default: one process
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ------------------------------------------------------------------
# Without REDIS_URL the tasks run in-process (eager), so the demo needs no broker.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Retention of the outbox and of the job log (housekeeping job; other outbox defaults in portal/conf.py).
OUTBOX_BODY_RETENTION_DAYS = env.int("OUTBOX_BODY_RETENTION_DAYS", default=90)
INVITATION_PURGE_DAYS = env.int("INVITATION_PURGE_DAYS", default=90)
JOB_RUN_RETENTION_DAYS = env.int("JOB_RUN_RETENTION_DAYS", default=365)

# --- E-mail --------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if env("EMAIL_HOST", default="")
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Portail Familles <portail@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts (django-allauth) ----------------------------------------------
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "portal.accounts.PortalAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = None  # the parent chooses: « Rester connecté » (portal.accounts.PortalLoginForm)
ACCOUNT_FORMS = {"login": "portal.accounts.PortalLoginForm"}
LOGIN_REMEMBER_DAYS = env.int("LOGIN_REMEMBER_DAYS", default=30)
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
# Every allauth limit, reviewed for a town (README « Opening morning »): tight per account ("key" is the
# e-mail, "user" the logged-in account), wide per address ("ip", the client's behind a trusted proxy,
# TRUSTED_PROXY_COUNT below), because a school, a town hall or a mobile carrier's NAT puts many parents
# behind one address. In the shared cache, so the same on every server.
ACCOUNT_RATE_LIMITS = {
    "login": "300/m/ip",  # every login form sent; allauth's 30/m would refuse the 31st parent behind a NAT
    "login_failed": "100/5m/ip,5/5m/key",  # the 6th wrong password in 5 minutes is refused, right or not
    "signup": "5/m/ip,30/h/ip",  # families who sign up themselves (identity): a household or a school NAT, not a bot
    "confirm_email": "1/3m/key",  # one verification e-mail per address every 3 minutes (allauth's)
    "reset_password": "20/m/ip,3/15m/key",  # an e-mail per request: 3 per mailbox per quarter-hour, no more
    "reset_password_from_key": "20/m/ip",  # the link's page; its token is unguessable (allauth's)
    "change_password": "5/m/user",
    "reauthenticate": "10/m/user",
    "manage_email": "10/m/user",
    "request_login_code": "20/m/ip,3/m/key",  # login by code is off
    "change_phone": "1/m/user",  # phone login is off
    "verify_phone": "1/30s/key,3/m/ip",
}
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24 * 3
INVITATION_VALIDITY_DAYS = env.int("INVITATION_VALIDITY_DAYS", default=14)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Security ------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 8
# Sessions live in the database: every server process sees a logout at once, and a Redis outage logs
# nobody out and lets nobody back in (BENCHMARKS.md: one indexed read a request).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- Online payment (billing) ----------------------------------------------------
# The fake provider is served by the portal itself so the payment loop runs offline;
# never in production (a system check refuses DEBUG off with it enabled).
PAYMENT_FAKE_PROVIDER = env.bool("PAYMENT_FAKE_PROVIDER", default=DEBUG)
# Accept provider responses flagged as test mode (PayFiP saisie "T"): development only.
PAYMENT_ACCEPT_TEST_MODE = env.bool("PAYMENT_ACCEPT_TEST_MODE", default=False)
# Treat unsigned/unverified provider responses as signed: development only, refused in production.
PAYMENT_CONSIDER_ALL_RESPONSES_SIGNED = env.bool("PAYMENT_CONSIDER_ALL_RESPONSES_SIGNED", default=False)
# Minutes after which a payment still pending at the provider is expired by the reconcile job.
PAYMENT_PENDING_EXPIRY_MINUTES = env.int("PAYMENT_PENDING_EXPIRY_MINUTES", default=120)

# Demo data: the one password every demo guardian and the demo staff log in with.
DEMO_PASSWORD = "Demo-Portail-2025"
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Portail Familles] "

# --- Faults and bad input (issue 15) -----------------------------------------
# A NUL byte in a path, query string or form answers 400 before any session or database work.
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "portal.middleware.RejectNulBytesMiddleware")
# Without a broker (no beat), the outbox sweep runs after a request, at most once a minute.
OUTBOX_SWEEP_IN_REQUESTS = env.bool("OUTBOX_SWEEP_IN_REQUESTS", default=not REDIS_URL)
MIDDLEWARE.append("portal.middleware.OutboxSweepMiddleware")
# Behind a reverse proxy (README « Derrière un proxy »): how many proxies append to X-Forwarded-For, or the
# one header the proxy sets to the client's address. The login throttle (allauth) and the portal's own
# limits (payment notifications) read the client address through this; with neither, REMOTE_ADDR.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER", default="") or None
# --- API Particulier: quotient familial CAF & MSA (identity, README « Configurer API Particulier ») -------
# The token of the organisation's habilitation, and the API's address (production
# https://particulier.api.gouv.fr, staging https://staging.particulier.api.gouv.fr). The SIRET sent as
# ``recipient`` and whether a fetched quotient waits for staff are set in the admin (Organisation).
API_PARTICULIER_TOKEN = env("API_PARTICULIER_TOKEN", default="")
API_PARTICULIER_BASE_URL = env("API_PARTICULIER_BASE_URL", default="").rstrip("/")
# The local simulator (same paths, answers and error codes) served by the portal under
# /simulateurs/api-particulier/: development and tests only, refused with DEBUG off (identity.E002).
API_PARTICULIER_SIMULATOR = env.bool("API_PARTICULIER_SIMULATOR", default=DEBUG)

# --- Opening morning (issue 17): the « salle d'attente » (portal/waiting_room.py, README « Opening morning »)
# At most WAITING_ROOM_LIMIT requests of the booking pages and login forms at once on all servers (slots in
# the shared cache); the next get a French 503 page with Retry-After that retries by itself. 0: off.
WAITING_ROOM_LIMIT = env.int("WAITING_ROOM_LIMIT", default=0)
WAITING_ROOM_SLOT_SECONDS = env.int("WAITING_ROOM_SLOT_SECONDS", default=60)  # a dead process's slot frees itself
WAITING_ROOM_RETRY_SECONDS = env.int("WAITING_ROOM_RETRY_SECONDS", default=5)  # Retry-After: 5 to 10 s, spread
WAITING_ROOM_PATHS = ("/inscriptions/",)
WAITING_ROOM_POST_PATHS = ("/compte/login/",)
MIDDLEWARE.insert(MIDDLEWARE.index("portal.middleware.RejectNulBytesMiddleware") + 1, "portal.waiting_room.WaitingRoomMiddleware")

# --- FranceConnect and families who sign up themselves (identity app, issue 16; README « Configurer
# FranceConnect pour une commune ») --------------------------------------------------------------------
ACCOUNT_ADAPTER = "identity.adapters.AccountAdapter"  # portal's adapter, plus signup when the organisation allows it
SOCIALACCOUNT_ADAPTER = "identity.adapters.SocialAccountAdapter"
# New accounts confirm their e-mail (a link through the outbox) before their request can be sent; accounts
# opened by staff are not asked again at login.
ACCOUNT_EMAIL_VERIFICATION = "optional"
SOCIALACCOUNT_EMAIL_VERIFICATION = "optional"
SOCIALACCOUNT_AUTO_SIGNUP = False  # a FranceConnect newcomer confirms the e-mail address to use
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # an e-mail never links an identity to an account by itself
SOCIALACCOUNT_LOGIN_ON_GET = False  # the button posts (CSRF token)
FRANCECONNECT_CLIENT_ID = env("FRANCECONNECT_CLIENT_ID", default="")
FRANCECONNECT_SECRET = env("FRANCECONNECT_SECRET", default="")
# Integration: https://fcp-low.sbx.dev-franceconnect.fr/api/v2/.well-known/openid-configuration
# Production:  https://oidc.franceconnect.gouv.fr/api/v2/.well-known/openid-configuration
FRANCECONNECT_DISCOVERY_URL = env("FRANCECONNECT_DISCOVERY_URL", default="")
FRANCECONNECT_SCOPE = env("FRANCECONNECT_SCOPE", default="openid given_name family_name birthdate email")
FRANCECONNECT_ACR_VALUES = env("FRANCECONNECT_ACR_VALUES", default="eidas1")
# The project's own OpenID provider with demo identities (identity/local_provider.py): development and tests
# only; a system check refuses it with DEBUG off. Used when no discovery URL is set.
FRANCECONNECT_LOCAL_PROVIDER = env.bool("FRANCECONNECT_LOCAL_PROVIDER", default=DEBUG)
if FRANCECONNECT_LOCAL_PROVIDER and not FRANCECONNECT_CLIENT_ID:
    FRANCECONNECT_CLIENT_ID, FRANCECONNECT_SECRET = "portail-familles-local", "secret-local-de-demonstration"
SOCIALACCOUNT_PROVIDERS = {
    "franceconnect": {"APPS": [{"client_id": FRANCECONNECT_CLIENT_ID, "secret": FRANCECONNECT_SECRET,
                                "settings": {"server_url": FRANCECONNECT_DISCOVERY_URL}}]}
    if FRANCECONNECT_CLIENT_ID else {"APPS": []},
}
MIDDLEWARE.append("identity.middleware.PendingRegistrationMiddleware")
# The login button and the logout form are redirected to FranceConnect: its origin may end a form's navigation.
CSP_FORM_ACTION_EXTRA = ["/".join(FRANCECONNECT_DISCOVERY_URL.split("/")[:3])] if FRANCECONNECT_DISCOVERY_URL else []
# --- SMS (messaging, README « Messages groupés et SMS ») ----------------------------------------------
# ``ovh`` (OVHcloud SMS API), ``fake`` (sends nothing, records each SMS: development and tests only,
# refused with DEBUG off, messaging.E001) or empty (no SMS).
SMS_PROVIDER = env("SMS_PROVIDER", default="fake" if DEBUG else "")
SMS_SENDER = env("SMS_SENDER", default="")  # a sender name validated by the provider (11 characters at most)
OVH_ENDPOINT = env("OVH_ENDPOINT", default="ovh-eu")
OVH_APPLICATION_KEY = env("OVH_APPLICATION_KEY", default="")
OVH_APPLICATION_SECRET = env("OVH_APPLICATION_SECRET", default="")
OVH_CONSUMER_KEY = env("OVH_CONSUMER_KEY", default="")
OVH_SMS_SERVICE = env("OVH_SMS_SERVICE", default="")  # e.g. sms-ab12345-1
