"""Staff-edited configuration (document types, renewal campaigns, …) read from the cache.

``cached_config(name, build, models=...)`` returns ``build()``, kept in the cache (Redis in production,
shared by every worker) until a row of one of ``models`` is saved or deleted: the key is dropped at
once (the editing transaction reads fresh data) and again after commit (other workers). Bulk
``QuerySet.update()`` sends no signal, so the value also expires after ``timeout`` seconds.
"""
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

_watched = {}  # model -> set of cache keys to drop when one of its rows changes


def _key(name):
    return f"portal:config:{name}"


def _drop(sender, **kwargs):
    keys = list(_watched.get(sender, ()))
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def cached_config(name, build, *, models, timeout=600):
    key = _key(name)
    for model in models:
        if model not in _watched:
            _watched[model] = set()
            post_save.connect(_drop, sender=model, dispatch_uid=f"portal.caching.save.{model._meta.label}")
            post_delete.connect(_drop, sender=model, dispatch_uid=f"portal.caching.delete.{model._meta.label}")
        _watched[model].add(key)
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout)
    return value
