"""Staff pages outside the Django admin: the staff check applied once, where an app's staff URLconf is included.

Every staff page lives under ``/personnel/`` in its app's ``staff_urls.py`` / ``staff_views.py``; portal/urls.py
includes each of them through ``staff_only``::

    path("personnel/inscriptions/", staff_only("enrolment.staff_urls")),

so no staff view has to remember the check, and a parent view never has to branch on ``is_staff``. The check
is Django's ``staff_member_required``: anyone but active staff is sent to the admin login page.
"""
from importlib import import_module

from django.contrib.admin.views.decorators import staff_member_required
from django.urls import URLPattern, URLResolver, include


def staff_only(urlconf):
    """``include(urlconf)`` with every view of ``urlconf`` (a module or its dotted path, nested includes
    too) behind ``staff_member_required``. The URL namespace is the module's ``app_name``."""
    module = import_module(urlconf) if isinstance(urlconf, str) else urlconf
    return include(([_guarded(entry) for entry in module.urlpatterns], module.app_name))


def is_staff_only(callback):
    """Whether a resolved view is behind ``staff_only`` (the isolation tests tell staff pages apart with it)."""
    return getattr(callback, "staff_only", False)


def _guarded(entry):
    if isinstance(entry, URLResolver):
        nested = [_guarded(e) for e in entry.url_patterns]
        return URLResolver(entry.pattern, nested, entry.default_kwargs, entry.app_name, entry.namespace)
    view = staff_member_required(entry.callback)
    view.staff_only = True
    return URLPattern(entry.pattern, view, entry.default_args, entry.name)
