"""Asks parents to answer the current consent versions before using the portal.

When staff publish a new version, its signature changes and the parent is sent to the consent
page on their next page view. The answer is remembered in the session, so a normal request costs
no query (the signature is cached)."""
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

EXEMPT_PREFIXES = ("/compte/", "/admin/", "/static/", "/dossier/consentements/", "/famille/invitation/")


class ConsentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        redirect_to = self._check(request)
        return redirect_to or self.get_response(request)

    def _check(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_staff or request.method != "GET":
            return None
        if request.path.startswith(EXEMPT_PREFIXES):
            return None
        from .services_documents import current_consent_signature, pending_consents

        signature = current_consent_signature()
        if not signature or request.session.get("consents_ok") == signature:
            return None
        from .access import family_for_user

        try:
            family_for_user(user)
        except Http404:
            return None
        if pending_consents(guardian=user._portal_guardian):
            return redirect(reverse("documents:consents") + "?" + urlencode({"next": request.get_full_path()}))
        request.session["consents_ok"] = signature
        return None
