"""``{% main_navigation %}``: the main navigation of every page, rendered once per worker for each kind of
visitor (anonymous, parent, staff) and active section, instead of on every request.

templates/portal/_nav.html is an ordinary template; it is rendered with what the key holds (whether the
visitor is logged in and a parent, the section's app and URL names, whether this is the home page,
the unread-messages badge, the organisation's short name) and two markers, the e-mail and the
CSRF token, which each request puts in. Anything else the navigation shows must be added to the key.
"""
from types import SimpleNamespace

from django import template
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .portal_urls import cached_reverse

register = template.Library()

_EMAIL = "\x1fnav-email\x1f"
_CSRF = "nav-csrf-marker"
_MAX_ENTRIES = 500
_rendered = {}


def _key(context):
    request = context.get("request")
    user = context.get("user")
    if request is None or user is None:
        return None
    logged_in = bool(user.is_authenticated)
    parent = logged_in and hasattr(user, "guardian")
    match = getattr(request, "resolver_match", None)
    badges = context.get("nav_badges") or {}
    organisation = context.get("organisation")
    return (
        logged_in, parent, getattr(match, "app_name", None), getattr(match, "url_name", None),
        request.path == cached_reverse("home", (), {}, None), (badges.get("unread_messages") or 0) if parent else 0,
        getattr(organisation, "short_name", ""),
    )


def _render(key):
    logged_in, parent, app_name, url_name, is_home, unread, short_name = key
    home = cached_reverse("home", (), {}, None)
    return get_template("portal/_nav.html").template.render(template.Context({
        "user": SimpleNamespace(is_authenticated=logged_in, guardian=parent, email=_EMAIL),
        "request": SimpleNamespace(path=home if is_home else None,
                                   resolver_match=SimpleNamespace(app_name=app_name, url_name=url_name)),
        "nav_badges": {"unread_messages": unread}, "organisation": SimpleNamespace(short_name=short_name),
        "csrf_token": _CSRF,
    }))


@register.simple_tag(takes_context=True)
def main_navigation(context):
    key = _key(context)
    if key is None:  # a template rendered without a request: render it as it is, nothing remembered
        return get_template("portal/_nav.html").render(context.flatten())
    html = _rendered.get(key)
    if html is None:
        if len(_rendered) >= _MAX_ENTRIES:
            _rendered.clear()
        html = _rendered[key] = _render(key)
    if key[0]:
        html = html.replace(_EMAIL, escape(context["user"].email)).replace(_CSRF, get_token(context["request"]))
    return mark_safe(html)
