"""Counters shown in the main navigation (unread messages, …).

Each app registers a function ``(request) -> dict`` with ``register_badge``; the
context processor merges them lazily, only for logged-in parents.
"""
from django.utils.functional import SimpleLazyObject

_providers = []


def register_badge(func):
    _providers.append(func)
    return func


def nav_badges(request):
    def compute():
        badges = {}
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not hasattr(request, "family"):
            return badges
        for provider in _providers:
            badges.update(provider(request))
        return badges

    return SimpleLazyObject(compute)
