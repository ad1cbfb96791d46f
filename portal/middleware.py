"""Request hygiene and security headers.

- ``RejectNulBytesMiddleware``: a NUL byte in the path, the query string or a form field is never a
  legitimate input and PostgreSQL refuses it in any text column (a 500 before): answer 400 at once.
- ``SecurityHeadersMiddleware``: a strict Content-Security-Policy on every page (no inline script or
  style, no third-party origin, forms posted to the portal only), a stricter one still on the admin.
- ``OutboxSweepMiddleware``: without a broker, retries e-mails left « En attente » (see its docstring).
"""
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http.multipartparser import MultiPartParserError
from django.views.defaults import bad_request

from .tasks import outbox_sweep

logger = logging.getLogger(__name__)


def csp_policy(*, form_action=("'self'",)):
    """The parents' policy; ``form_action`` lists the origins a form may post to (the pay page adds the
    payment provider's)."""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
        "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action " + " ".join(form_action)
    )


# The admin (Django's own templates, no inline script or style) needs no image from data: URLs either.
ADMIN_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


class SecurityHeadersMiddleware:
    # Forms post to the portal, and may be redirected to the identity provider (FranceConnect login and
    # logout): its origin is in CSP_FORM_ACTION_EXTRA (settings).
    POLICY = csp_policy(form_action=("'self'", *getattr(settings, "CSP_FORM_ACTION_EXTRA", ())))
    ADMIN_POLICY = ADMIN_POLICY

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = self.ADMIN_POLICY if request.path_info.startswith("/admin/") else self.POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


def checks_nul_bytes_itself(view):
    """Mark a view that stores what it refuses (the payment notification endpoint logs a forged body, NUL
    bytes escaped): ``RejectNulBytesMiddleware`` leaves its body to it."""
    view.checks_nul_bytes_itself = True
    return view


class BadInput(Exception):
    """A request that carries a NUL byte."""


class RejectNulBytesMiddleware:
    """400 for a NUL byte in the path, the query string or the body's fields (uploaded files excepted:
    they are binary). Placed before the session and authentication so that such a request costs no query;
    the body is checked just before the view (``process_view``), unless the view checks it itself."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            return bad_request(request, BadInput())
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS") or getattr(view_func, "checks_nul_bytes_itself", False):
            return None
        try:
            self._check_body(request)
        except BadInput:
            return bad_request(request, BadInput())
        return None

    @staticmethod
    def _check_body(request):
        content_type = request.content_type or ""
        if content_type == "multipart/form-data":
            try:
                fields = request.POST
            except RequestDataTooBig:
                return  # Django answers it on its own (400) when the view reads the form
            except MultiPartParserError:
                raise BadInput from None
            if any("\x00" in key or any("\x00" in value for value in fields.getlist(key)) for key in fields):
                raise BadInput
            if any("\x00" in f.name for f in request.FILES.values()):
                raise BadInput
            return
        try:
            body = request.body
        except RequestDataTooBig:
            return
        if b"\x00" in body or (content_type == "application/x-www-form-urlencoded" and b"%00" in body):
            raise BadInput


class OutboxSweepMiddleware:
    """Without a broker there is no beat either: the outbox sweep (``portal.tasks.outbox_sweep``) then runs
    after a request, at most once a minute for all processes (a lock in the shared cache), so an e-mail whose
    SMTP attempt failed is retried with its backoff instead of waiting for staff. Its sending is bounded like
    any in-request sending (``OUTBOX_EAGER_BUDGET_SECONDS``). Off unless ``OUTBOX_SWEEP_IN_REQUESTS``."""

    LOCK = "outbox:sweep-in-request"
    EVERY_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(settings, "OUTBOX_SWEEP_IN_REQUESTS", False) and cache.add(self.LOCK, 1, self.EVERY_SECONDS):
            try:
                outbox_sweep()
            except Exception:  # noqa: BLE001 — the page is already answered; the next sweep tries again
                logger.exception("Outbox sweep after a request failed")
        return response
