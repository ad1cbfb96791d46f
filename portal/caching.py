"""Staff-edited configuration (organisation, catalogue, tariffs, document types, news, …) kept in each
server process, and always checked against one version shared by every process.

``cached_config(name, build, models=...)`` returns ``build()``, kept in this process while the
configuration version is unchanged. The version is a token in the database (``ConfigVersion``), replaced
in the same transaction as any save or delete of a watched model (``watch``) or by ``config_changed()``
(bulk ``QuerySet.update()`` and raw SQL send no signal: call it after them).

How a process learns the version:
- pages: from the shared cache (Redis in production), once per request; on a miss it reads the database
  and fills the cache for ``TOKEN_TTL`` seconds. A change deletes the cached token when its transaction
  commits, so other processes see it on their next request. If that delete fails (Redis down), the
  cached token expires within ``TOKEN_TTL``: a page may be stale for that moment, never longer.
- decisions (``verified=True``, e.g. the booking commit): from the database, every time.
With the cache unreachable every read goes to the database: slower, still correct.

Values are shared by the requests and threads of a process: callers must not modify them.
"""
import threading
import time
import uuid

from django.apps import apps
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save

TOKEN_KEY = "portal:config:version"
TOKEN_TTL = 5  # seconds the shared cache keeps the token read from the database

_watched = set()
_entries = {}  # {name: (token, built at (monotonic), value)}, shared by the threads of the process
_request = threading.local()  # the token read by the current request (read once per request)


def _config_version():
    # Looked up in the app registry rather than imported: portal.models uses this module
    # (Organisation.current), so importing it here would make a cycle.
    return apps.get_model("portal", "ConfigVersion")


def _database_token():
    ConfigVersion = _config_version()
    token = ConfigVersion.objects.filter(pk=1).values_list("token", flat=True).first()
    if token is None:
        token = ConfigVersion.objects.get_or_create(pk=1, defaults={"token": uuid.uuid4().hex})[0].token
    return token


def _shared_token():
    token = getattr(_request, "token", None)
    if token is not None:
        return token
    token = cache.get(TOKEN_KEY)  # None when missing, or when the cache is unreachable
    if token is None:
        token = _database_token()
        cache.add(TOKEN_KEY, token, TOKEN_TTL)
    if getattr(_request, "active", False):
        _request.token = token
    return token


def _request_started(**kwargs):
    _request.active, _request.token = True, None


def _request_finished(**kwargs):
    _request.active, _request.token = False, None


request_started.connect(_request_started, dispatch_uid="portal.caching.request_started")
request_finished.connect(_request_finished, dispatch_uid="portal.caching.request_finished")


def _forget_cached_token():
    cache.delete(TOKEN_KEY)
    _request.token = None


def config_changed():
    """Every process rebuilds its configuration once the current transaction commits (this one at once)."""
    _config_version().objects.update_or_create(pk=1, defaults={"token": uuid.uuid4().hex})
    _forget_cached_token()
    transaction.on_commit(_forget_cached_token)


def _changed(sender, **kwargs):
    config_changed()


def reset():
    """Forget what this process holds (tests: the database and the cache start again empty)."""
    _entries.clear()
    _request.token = None


def current_token(*, verified=False):
    """The configuration version this process's cached values must match."""
    return _database_token() if verified else _shared_token()


def watch(*models):
    """A save or delete of a row of ``models`` changes the configuration. Called by each app's ``ready()``
    for the models its cached configuration reads."""
    for model in models:
        if model not in _watched:
            _watched.add(model)
            post_save.connect(_changed, sender=model, dispatch_uid=f"portal.caching.save.{model._meta.label}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"portal.caching.delete.{model._meta.label}")


def cached_config(name, build, *, models, timeout=600, verified=False):
    """``build()``, kept in this process while the configuration version is unchanged (see the module's
    docstring); ``verified``: check the version in the database rather than the shared cache."""
    watch(*models)
    token = current_token(verified=verified)
    entry = _entries.get(name)
    now = time.monotonic()
    if entry is not None and entry[0] == token and now - entry[1] < timeout:
        return entry[2]
    value = build()
    # Kept under the version read before the build: an edit committed during the build makes the next
    # read rebuild it.
    _entries[name] = (token, now, value)
    return value
