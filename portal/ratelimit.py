"""The client's address and a fixed-window counter in the shared cache (Redis in production).

``client_ip`` is allauth's: it honours ``ALLAUTH_TRUSTED_PROXY_COUNT`` / ``ALLAUTH_TRUSTED_CLIENT_IP_HEADER``
(set from the environment, see README « Derrière un proxy »), so the login throttle and the portal's own
limits see the same address.
"""
from allauth.account.adapter import get_adapter
from django.core.cache import cache


def client_ip(request):
    return get_adapter(request).get_client_ip(request) or ""


def hit_count(*, scope, ident, period):
    """Count one hit of ``ident`` in ``scope``; return the hits of the current ``period`` seconds (the window
    starts at the first hit)."""
    key = f"ratelimit:{scope}:{ident}"
    cache.add(key, 0, period)
    try:
        return cache.incr(key)
    except ValueError:  # the window expired between add and incr
        cache.add(key, 1, period)
        return 1


def limit_exceeded(*, scope, ident, limit, period):
    """Count one hit; True once more than ``limit`` hits fell in the current window."""
    return hit_count(scope=scope, ident=ident, period=period) > limit
