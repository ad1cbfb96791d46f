"""The « salle d'attente »: a concurrency limit in front of the booking pages and the login form.

When ``WAITING_ROOM_LIMIT`` requests of those pages are already being served (on all servers together), the
next one gets at once a French page answering 503 with ``Retry-After``, which retries by itself
(``static/portal/waiting_room.js``) instead of queuing until a timeout. The slots are keys of the shared
cache (Redis in production), each taken with ``cache.add`` (atomic) for ``WAITING_ROOM_SLOT_SECONDS``:
a request frees its slot when it is answered, and a slot whose process died frees itself when its key
expires. If the cache is down, ``get_many`` finds every slot free and ``add`` succeeds (``portal.cache``):
requests go through, as without a limit. ``WAITING_ROOM_LIMIT=0`` (the default) turns it off.

The limit only sheds load when the servers accept more requests at once than the limit (gunicorn threads ×
workers × servers above it); README « Opening morning » says how to size both.
"""
import random
import secrets

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.template.loader import render_to_string

from .middleware import csp_policy

SLOT_KEY = "waitingroom:slot:{}"


def slot_acquire(*, limit, seconds):
    """Take a free slot for ``seconds``; return ``(key, token)``, or ``None`` when all ``limit`` are taken.
    One read of every slot, then ``add`` on a free one (a few tries: others may pick the same at once)."""
    keys = [SLOT_KEY.format(i) for i in range(limit)]
    taken = cache.get_many(keys)
    free = [key for key in keys if key not in taken]
    random.shuffle(free)
    token = secrets.token_hex(8)
    for key in free[:3]:
        if cache.add(key, token, seconds):
            return key, token
    return None


def slot_release(key, token):
    """Free the slot if it is still ours (it may have expired and gone to another request meanwhile)."""
    if cache.get(key) == token:
        cache.delete(key)


def slots_taken(*, limit):
    return len(cache.get_many([SLOT_KEY.format(i) for i in range(limit)]))


def is_gated(request):
    """The booking pages (every method) and the login form when it is sent (its password hash costs the CPU)."""
    path = request.path_info
    if any(path.startswith(prefix) for prefix in settings.WAITING_ROOM_PATHS):
        return True
    return request.method == "POST" and path in settings.WAITING_ROOM_POST_PATHS


def waiting_room_response(request):
    """The 503 page: no session, user or database read (the server is busy), its own CSP header."""
    retry_after = random.randint(settings.WAITING_ROOM_RETRY_SECONDS, 2 * settings.WAITING_ROOM_RETRY_SECONDS)
    posted = request.method == "POST"
    html = render_to_string("portal/waiting_room.html", {
        "retry_after": retry_after,
        # A form is never sent again by itself: the retry opens the same page, and the parent sends it again.
        "retry_url": request.path if posted else request.get_full_path(),
        "posted": posted,
        "login": request.path_info in settings.WAITING_ROOM_POST_PATHS,
    })
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = csp_policy()
    return response


class WaitingRoomMiddleware:
    """Placed before the session and authentication middleware: a request sent to the waiting room costs no
    database query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.WAITING_ROOM_LIMIT
        if not limit or not is_gated(request):
            return self.get_response(request)
        slot = slot_acquire(limit=limit, seconds=settings.WAITING_ROOM_SLOT_SECONDS)
        if slot is None:
            return waiting_room_response(request)
        try:
            return self.get_response(request)
        finally:
            slot_release(*slot)
