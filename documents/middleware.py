"""Asks parents to answer the current consent versions (règlement intérieur, données de santé, droit à
l'image) before using the portal.

At each login the pending versions are looked up once and a flag is kept in the session; while it is
set, every page view of the parent leads to the consent page. A version published by staff is thus
asked at the parent's next login, and normal requests cost no query. The login receiver is connected
by ``DocumentsConfig.ready``."""
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from families.models import Guardian

from .selectors import pending_consents

SESSION_KEY = "consents_pending"
EXEMPT_PREFIXES = ("/compte/", "/admin/", "/static/", "/dossier/consentements/", "/famille/invitation/")


@receiver(user_logged_in, dispatch_uid="documents.consents_at_login")
def ask_consents_at_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session") or user.is_staff:
        return
    guardian = Guardian.objects.filter(user=user).first()
    if guardian is not None and pending_consents(guardian=guardian):
        request.session[SESSION_KEY] = True
    else:
        request.session.pop(SESSION_KEY, None)


class ConsentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(SESSION_KEY)
            and request.method == "GET"
            and not request.headers.get("HX-Request")
            and not request.path.startswith(EXEMPT_PREFIXES)
            and request.user.is_authenticated
        ):
            return redirect(reverse("documents:consents") + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)
