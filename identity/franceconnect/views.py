"""The FranceConnect adapter and views: allauth's OpenID Connect adapter with FranceConnect's checks.

Every check refuses the login by raising ``OAuth2Error``, which allauth's callback view turns into an
authentication error (our adapter then shows the parent a French message, ``identity.adapters``).
"""
import hmac
import time

import jwt
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.client import OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView, OAuth2LoginView
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from allauth.utils import build_absolute_uri
from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.urls import reverse

# FranceConnect v2 signs with ES256 or RS256 (chosen when the service is registered); nothing else is accepted,
# whatever a token's header says ("none" and HMAC above all).
SIGNING_ALGORITHMS = ("ES256", "RS256")
CLOCK_LEEWAY = 30  # seconds of clock difference tolerated on exp / iat


class FranceConnectOAuth2Adapter(OpenIDConnectOAuth2Adapter):
    expected_nonce = None  # set by the callback view from the stashed state

    def __init__(self, request, provider_id="franceconnect"):
        super().__init__(request, provider_id)

    def get_callback_url(self, request, app):
        return build_absolute_uri(request, reverse("franceconnect_callback"), self.redirect_uri_protocol)

    def complete_login(self, request, app, token, **kwargs):
        id_token = kwargs["response"].get("id_token")
        if not id_token:
            raise OAuth2Error("FranceConnect n'a pas renvoyé de jeton d'identité.")
        claims = self.verify_jwt(id_token, audience=app.client_id)
        if not self.expected_nonce or not hmac.compare_digest(str(claims.get("nonce", "")), self.expected_nonce):
            raise OAuth2Error("nonce du jeton d'identité invalide")
        allowed_acr = settings.FRANCECONNECT_ACR_VALUES.split()
        if claims.get("acr") not in allowed_acr:
            raise OAuth2Error(f"niveau eIDAS (acr) inattendu : {claims.get('acr')!r}")
        self._refuse_replayed(claims)
        userinfo = self.fetch_userinfo(token.token, audience=app.client_id)
        if userinfo.get("sub") != claims["sub"]:
            raise OAuth2Error("le sub du userinfo diffère de celui du jeton d'identité")
        login = self.get_provider().sociallogin_from_response(request, {"userinfo": userinfo, "id_token": claims})
        # Kept for logout at the end-session endpoint (id_token_hint); the adapter stores it in the session.
        login.franceconnect_id_token = id_token
        login.franceconnect_access_token = token.token
        return login

    def fetch_userinfo(self, access_token, *, audience):
        """FranceConnect answers the userinfo endpoint with a JWT signed like the ID token."""
        with get_adapter().get_requests_session() as session:
            response = session.get(self.profile_url, headers={"Authorization": f"Bearer {access_token}"})
            response.raise_for_status()
        if not response.headers.get("Content-Type", "").startswith("application/jwt"):
            raise OAuth2Error("le userinfo n'est pas un JWT signé")
        return self.verify_jwt(response.text.strip(), audience=audience, require=("sub", "iss", "aud"))

    def verify_jwt(self, token, *, audience, require=("sub", "iss", "aud", "exp", "iat")):
        """Signature checked against the provider's published keys (always, even over TLS), issuer, audience,
        expiry."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as e:
            raise OAuth2Error("jeton illisible") from e
        advertised = self.openid_config.get("id_token_signing_alg_values_supported") or SIGNING_ALGORITHMS
        alg = header.get("alg")
        if alg not in SIGNING_ALGORITHMS or alg not in advertised:
            raise OAuth2Error(f"algorithme de signature refusé : {alg!r}")
        key = self._signing_key(header.get("kid"), alg)
        try:
            return jwt.decode(
                token, key=key, algorithms=[alg], audience=audience, issuer=self.openid_config["issuer"],
                leeway=CLOCK_LEEWAY, options={"require": list(require)},
            )
        except jwt.PyJWTError as e:
            raise OAuth2Error(f"jeton refusé : {e}") from e

    def _signing_key(self, kid, alg):
        with get_adapter().get_requests_session() as session:
            response = session.get(self.openid_config["jwks_uri"])
            response.raise_for_status()
        try:
            keys = jwt.PyJWKSet.from_dict(response.json()).keys
        except (jwt.PyJWTError, ValueError) as e:
            raise OAuth2Error("clés publiques du fournisseur illisibles") from e
        for key in keys:
            if key.key_id == kid and (key.algorithm_name in (None, alg)):
                return key.key
        raise OAuth2Error(f"clé de signature inconnue : {kid!r}")

    def _refuse_replayed(self, claims):
        """An ID token is used once: its jti (or its nonce) is remembered until it expires, in the shared cache."""
        marker = claims.get("jti") or claims.get("nonce")
        timeout = max(int(claims["exp"] - time.time()) + CLOCK_LEEWAY, 1)
        if not cache.add(f"franceconnect:id_token:{claims['iss']}:{marker}", True, timeout=timeout):
            raise OAuth2Error("jeton d'identité déjà utilisé")


class FranceConnectCallbackView(OAuth2CallbackView):
    def _get_state(self, request, provider):
        # The one step allauth's callback view offers no hook for: hand the stashed nonce to the adapter.
        state, response = super()._get_state(request, provider)
        self.adapter.expected_nonce = (state or {}).get("nonce")
        return state, response


def login(request):
    try:
        return OAuth2LoginView.adapter_view(FranceConnectOAuth2Adapter(request))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None


def callback(request):
    try:
        return FranceConnectCallbackView.adapter_view(FranceConnectOAuth2Adapter(request))(request)
    except SocialApp.DoesNotExist:
        raise Http404 from None
