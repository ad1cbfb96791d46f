"""The FranceConnect provider, registered in allauth's provider registry by ``identity/provider.py``.

allauth's OpenID Connect provider gives the authorization code flow, the ``state`` kept in the session, the
token request and the social account model; what FranceConnect adds is here and in ``views.py``:

- a random ``nonce`` sent with the request and kept in the same stashed state as ``state`` (checked on return);
- ``acr_values`` (eidas1) and ``prompt=login consent`` sent, the ``acr`` of the ID token checked on return;
- ``state`` and ``nonce`` of 43 characters (FranceConnect wants at least 22; allauth's state id has 16).
"""
import secrets

from allauth.socialaccount.providers.openid_connect.provider import (
    OpenIDConnectProvider,
    OpenIDConnectProviderAccount,
)
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from .views import FranceConnectOAuth2Adapter

PROVIDER_ID = "franceconnect"


class FranceConnectAccount(OpenIDConnectProviderAccount):
    def to_str(self):
        data = self.get_user_data() or {}
        return f"{data.get('given_name', '')} {data.get('family_name', '')}".strip() or super().to_str()


class FranceConnectProvider(OpenIDConnectProvider):
    id = PROVIDER_ID
    name = "FranceConnect"
    account_class = FranceConnectAccount
    oauth2_adapter_class = FranceConnectOAuth2Adapter
    supports_token_authentication = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.name = "FranceConnect"

    @property
    def server_url(self):
        url = self.app.settings.get("server_url") or ""
        if not url and getattr(settings, "FRANCECONNECT_LOCAL_PROVIDER", False):
            # The project's own provider (development and tests only), on the host the parent uses.
            url = self.request.build_absolute_uri(reverse("identity:local_oidc_discovery"))
        return self.wk_server_url(url)

    def get_login_url(self, request: HttpRequest, **kwargs):
        url = reverse("franceconnect_login")
        return f"{url}?{urlencode(kwargs)}" if kwargs else url

    def get_callback_url(self):
        return reverse("franceconnect_callback")

    def get_default_scope(self):
        return settings.FRANCECONNECT_SCOPE.split()

    def extract_common_fields(self, data):
        fields = super().extract_common_fields(data)
        fields["username"] = None  # parents log in with their e-mail; FranceConnect's preferred_username is a surname
        return fields

    def redirect(self, request: HttpRequest, process, next_url=None, data=None, **kwargs):
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params.update({"nonce": nonce, "acr_values": settings.FRANCECONNECT_ACR_VALUES, "prompt": "login consent"})
        # ``nonce`` lands in the stashed state (allauth keeps extra keyword arguments there), ``state_id`` is the
        # state parameter itself.
        return super().redirect(
            request, process, next_url, data, auth_params=auth_params, nonce=nonce,
            state_id=secrets.token_urlsafe(32), **kwargs,
        )


provider_classes = [FranceConnectProvider]
