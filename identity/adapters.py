"""allauth adapters: the portal's account adapter plus signup (when the organisation allows it) and logout
through FranceConnect; the social adapter checks a FranceConnect link against the guardian's file."""
import secrets
from urllib.parse import urlencode

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.adapter import get_adapter as get_social_adapter
from allauth.socialaccount.models import SocialApp
from django.contrib import messages
from django.core import signing
from django.shortcuts import redirect
from django.urls import reverse

from portal.accounts import PortalAccountAdapter
from portal.errors import IdentityError

from . import services
from .franceconnect.provider import PROVIDER_ID

ID_TOKEN_SESSION_KEY = "franceconnect_id_token"
# Read by the API Particulier client (quotient familial) to call on behalf of a parent who came through FranceConnect.
ACCESS_TOKEN_SESSION_KEY = "franceconnect_access_token"
LOGOUT_STATE_SALT = "identity.franceconnect.logout"


class AccountAdapter(PortalAccountAdapter):
    def is_open_for_signup(self, request):
        return services.registration_open()

    def populate_username(self, request, user):
        user.username = (user.email or "").lower()  # as for accounts opened by staff: the username is the e-mail

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            services.registration_start(user=user)
        return user

    def get_signup_redirect_url(self, request):
        return reverse("identity:registration")

    def get_logout_redirect_url(self, request):
        """After a FranceConnect login, logging out also ends the FranceConnect session (end_session_endpoint
        with id_token_hint); FranceConnect then returns to our « déconnecté » page with the state we signed."""
        id_token = request.session.get(ID_TOKEN_SESSION_KEY)
        if not id_token:
            return super().get_logout_redirect_url(request)
        try:
            provider = get_social_adapter(request).get_provider(request, PROVIDER_ID)
            endpoint = provider.get_oauth2_adapter(request).openid_config["end_session_endpoint"]
        except (requests.RequestException, KeyError, ValueError, SocialApp.DoesNotExist):
            # FranceConnect unreachable or without end-session endpoint: the portal session still ends.
            return super().get_logout_redirect_url(request)
        state = signing.dumps(secrets.token_urlsafe(16), salt=LOGOUT_STATE_SALT)
        query = urlencode({
            "id_token_hint": id_token, "state": state,
            "post_logout_redirect_uri": request.build_absolute_uri(reverse("identity:franceconnect_logged_out")),
        })
        return f"{endpoint}?{query}"


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin):
        if not services.registration_open():
            raise ImmediateHttpResponse(_back_to_login(
                request, "Aucun compte du portail n'est lié à cette identité FranceConnect. Connectez-vous avec votre "
                         "adresse e-mail, puis liez FranceConnect dans « Mon compte » › « FranceConnect »."))
        return True

    def pre_social_login(self, request, sociallogin):
        if sociallogin.account.provider != PROVIDER_ID:
            return
        if sociallogin.state.get("process") == "connect":
            claims = sociallogin.account.extra_data.get("userinfo") or {}
            try:
                services.link_check(user=request.user, uid=sociallogin.account.uid, claims=claims)
            except IdentityError as e:
                messages.error(request, e.message)
                raise ImmediateHttpResponse(redirect("identity:account")) from None
            return
        id_token = getattr(sociallogin, "franceconnect_id_token", None)
        if id_token:
            request.session[ID_TOKEN_SESSION_KEY] = id_token
            request.session[ACCESS_TOKEN_SESSION_KEY] = sociallogin.franceconnect_access_token

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        services.registration_start(user=user, identity=sociallogin.account.extra_data.get("userinfo") or {})
        return user

    def get_connect_redirect_url(self, request, socialaccount):
        messages.success(request, "FranceConnect est lié à votre compte : vous pouvez maintenant vous connecter "
                                  "avec FranceConnect ou avec votre e-mail et votre mot de passe.")
        return reverse("identity:account")

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        state = (extra_context or {}).get("state") or {}
        text = ("La connexion avec FranceConnect n'a pas abouti" + (" (vous l'avez annulée)." if error == "cancelled" else
                ". Réessayez ; si le problème continue, connectez-vous avec votre e-mail et votre mot de passe."))
        if state.get("process") == "connect" and request.user.is_authenticated:
            messages.error(request, text)
            raise ImmediateHttpResponse(redirect("identity:account"))
        raise ImmediateHttpResponse(_back_to_login(request, text))


def _back_to_login(request, text):
    messages.error(request, text)
    return redirect("account_login")
