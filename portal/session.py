"""The session's end, known to the page so it can warn before it (static/portal/a11y.js).

Sessions last ``SESSION_COOKIE_AGE`` (or the 30 days of « Rester connecté » at login) from their last save (they are not saved on every request). The
instant they end is kept in the session (``EXPIRES_KEY``, seconds since the epoch) when the parent logs in
and each time « Rester connecté » extends it; base.html writes it into a <meta> for authenticated pages.
A session saved for another reason (the basket) lives a little longer than announced: the warning then
comes early, never late.
"""
import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.views.decorators.http import require_POST

EXPIRES_KEY = "portal_expires"


def session_renew(session, *, now=None):
    """Mark ``session`` modified (Django saves it and sends the cookie again with a fresh age) and record its
    new end; returns it."""
    expires = int((now or time.time()) + session.get_expiry_age())  # 30 days when « Rester connecté » was ticked
    session[EXPIRES_KEY] = expires
    return expires


@receiver(user_logged_in, dispatch_uid="portal.session_expiry_at_login")
def _at_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_renew(request.session)


@require_POST
def session_extend(request):
    """« Rester connecté »: the session starts a new ``SESSION_COOKIE_AGE``. 401 once it has ended."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Votre session a expiré : reconnectez-vous."}, status=401)
    return JsonResponse({"expires": session_renew(request.session)})
