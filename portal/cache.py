"""The shared cache (Redis, through django-redis) as the portal needs it through an outage.

django-redis's ``IGNORE_EXCEPTIONS`` turns a Redis error into a miss: ``get`` gives the default, writes
are skipped and return None. One answer needs care: ``add`` returning None reads as « somebody holds the
lock » to code that locks with ``cache.add`` (allauth's rate limits do, then refuse the login with 429
after waiting a second). With Redis down there is no lock to wait for, so ``add`` says it succeeded: logins
go on, unthrottled for the outage (logged), instead of every login being refused.
"""
import logging

from django_redis.cache import RedisCache as DjangoRedisCache

logger = logging.getLogger("portal.cache")


class RedisCache(DjangoRedisCache):
    def add(self, *args, **kwargs):
        added = super().add(*args, **kwargs)
        if added is None:  # Redis unreachable (the error is logged by django-redis)
            return True
        return added
