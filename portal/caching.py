"""Staff-edited configuration (organisation, document types, renewal campaigns, news, …) kept in each
worker's memory.

``cached_config(name, build, models=...)`` returns ``build()``, kept in the process until a row of one
of ``models`` is saved or deleted. Validity rests on one token in the shared cache (Redis in
production): a change anywhere sets a new token — at once (the editing transaction reads fresh data)
and again after commit — and every worker rebuilds what it holds on its next read. A worker reads the
token at most once every ``TOKEN_TTL`` seconds, so another worker's edit shows within that delay, and a
request pays one Redis read for all of its configuration instead of one read and one unpickling per
entry. Bulk ``QuerySet.update()`` sends no signal: call ``config_changed()`` after one; every entry is
rebuilt after ``timeout`` seconds anyway.

Values are shared by the requests of a worker: callers must not modify them.
"""
import threading
import time
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

TOKEN_KEY = "portal:config:token"
TOKEN_TTL = 1.0  # seconds a worker trusts the token it read

_watched = set()
_state = threading.local()  # per thread: token, when and in which generation it was read, entries
_generation = [0]  # bumped by a change in this process: its other threads re-read the token at once


def _local():
    if not hasattr(_state, "entries"):
        _state.token, _state.read_at, _state.generation, _state.entries = None, 0.0, -1, {}
    return _state


def _token():
    local = _local()
    now = time.monotonic()
    if local.generation != _generation[0] or now - local.read_at > TOKEN_TTL:
        token = cache.get(TOKEN_KEY)
        if token is None:
            cache.add(TOKEN_KEY, uuid.uuid4().hex, None)
            token = cache.get(TOKEN_KEY)
        local.token, local.read_at, local.generation = token, now, _generation[0]
    return local.token


def _new_token():
    cache.set(TOKEN_KEY, uuid.uuid4().hex, None)
    _generation[0] += 1


def reset():
    """Forget what this process holds (tests: the database and the cache start again empty)."""
    _generation[0] += 1
    _local().entries = {}


def config_changed():
    """Every worker rebuilds its configuration: now, and again once the current transaction commits."""
    _new_token()
    transaction.on_commit(_new_token)


def _changed(sender, **kwargs):
    config_changed()


def current_token():
    """The token the configuration of this worker is valid for (changes with every configuration edit)."""
    return _token()


def watch(*models):
    """A save or delete of a row of ``models`` changes the configuration. Called by each app's ``ready()``
    for the models its cached configuration reads, so that a worker that never read that configuration
    (one serving only the admin, say) still tells the others when it edits it."""
    for model in models:
        if model not in _watched:
            _watched.add(model)
            post_save.connect(_changed, sender=model, dispatch_uid=f"portal.caching.save.{model._meta.label}")
            post_delete.connect(_changed, sender=model, dispatch_uid=f"portal.caching.delete.{model._meta.label}")


def cached_config(name, build, *, models, timeout=600):
    """``build()``, kept in this worker until a row of ``models`` changes (see the module's docstring)."""
    watch(*models)
    entry = _local().entries.get(name)
    now = time.monotonic()
    if entry is not None and entry[0] == _token() and now - entry[1] < timeout:
        return entry[2]
    value = build()
    # Kept under the token of after the build: a build that creates its row (get_or_create) changes it.
    # (As with any cache filled after a read, an edit committed by another worker during the build can
    # leave the older value until ``timeout``: the window is the build's few milliseconds.)
    _local().entries[name] = (_token(), now, value)
    return value
