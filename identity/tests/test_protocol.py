"""The FranceConnect protocol, end to end against the local provider: what is accepted, and every tampering that
must be refused (state, nonce, expiry, signature, replayed code, acr, userinfo)."""
import html
import time
from urllib.parse import parse_qs, urlencode, urlparse

import jwt
import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives.asymmetric import rsa
from django.http import JsonResponse

from identity import local_provider
from identity.adapters import ACCESS_TOKEN_SESSION_KEY, ID_TOKEN_SESSION_KEY

REFUSED = "La connexion avec FranceConnect n'a pas abouti"


@pytest.fixture
def linked_claire(claire):
    SocialAccount.objects.create(user=claire.user, provider="franceconnect", uid="demo-claire-martin")
    return claire


def _query(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_the_authorization_request_carries_state_nonce_and_acr(fc_browser):
    params = _query(fc_browser.start())
    assert params["response_type"] == "code"
    assert params["acr_values"] == "eidas1"
    assert set(params["scope"].split()) >= {"openid", "given_name", "family_name", "birthdate"}
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["redirect_uri"].endswith("/compte/franceconnect/login/callback/")


def test_a_linked_parent_logs_in_and_the_tokens_are_kept_for_logout_and_api_particulier(fc_browser, linked_claire):
    response = fc_browser.finish(fc_browser.choose(fc_browser.start()))
    assert response.ok
    session = fc_browser.session()
    assert session["_auth_user_id"] == str(linked_claire.user.pk)
    assert session[ID_TOKEN_SESSION_KEY].count(".") == 2
    assert session[ACCESS_TOKEN_SESSION_KEY]


def test_logout_goes_through_the_end_session_endpoint_with_id_token_hint(fc_browser, linked_claire):
    fc_browser.finish(fc_browser.choose(fc_browser.start()))
    id_token = fc_browser.session()[ID_TOKEN_SESSION_KEY]
    response = fc_browser.http.post(f"{fc_browser.base}/compte/logout/",
                                    data={"csrfmiddlewaretoken": fc_browser.csrf()}, allow_redirects=False)
    end_session = response.headers["Location"]
    assert end_session.startswith(f"{fc_browser.base}/identite/fc-local/session/end?")
    assert _query(end_session)["id_token_hint"] == id_token
    page = fc_browser.http.get(end_session)
    assert "déconnecté(e) du portail et de FranceConnect" in page.text
    assert fc_browser.user_id() is None


def _refused(fc_browser, response):
    assert REFUSED in html.unescape(response.text)
    assert urlparse(response.url).path == "/compte/login/"
    assert fc_browser.user_id() is None


def test_a_wrong_state_is_refused(fc_browser, linked_claire):
    callback = fc_browser.choose(fc_browser.start())
    params = _query(callback)
    params["state"] = "x" * 43
    _refused(fc_browser, fc_browser.finish(callback.split("?")[0] + "?" + urlencode(params)))


def test_a_wrong_nonce_is_refused(fc_browser, linked_claire, monkeypatch):
    original = local_provider.id_token_claims
    monkeypatch.setattr(local_provider, "id_token_claims",
                        lambda **kw: {**original(**kw), "nonce": "n" * 43})
    _refused(fc_browser, fc_browser.finish(fc_browser.choose(fc_browser.start())))


def test_an_expired_id_token_is_refused(fc_browser, linked_claire, monkeypatch):
    original = local_provider.id_token_claims

    def expired(**kw):
        claims = original(**kw)
        return {**claims, "iat": claims["iat"] - 3600, "exp": int(time.time()) - 120}

    monkeypatch.setattr(local_provider, "id_token_claims", expired)
    _refused(fc_browser, fc_browser.finish(fc_browser.choose(fc_browser.start())))


def test_an_id_token_signed_with_another_key_is_refused(fc_browser, linked_claire, monkeypatch):
    forged_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    original = local_provider.sign
    # Same kid as the provider's published key, another private key: only the signature betrays it.
    monkeypatch.setattr(local_provider, "sign",
                        lambda claims, **kw: original(claims, key=forged_key) if "nonce" in claims else original(claims))
    _refused(fc_browser, fc_browser.finish(fc_browser.choose(fc_browser.start())))


def test_an_unsigned_id_token_is_refused(fc_browser, linked_claire, monkeypatch):
    original = local_provider.sign
    monkeypatch.setattr(local_provider, "sign",
                        lambda claims, **kw: jwt.encode(claims, None, algorithm="none") if "nonce" in claims
                        else original(claims))
    _refused(fc_browser, fc_browser.finish(fc_browser.choose(fc_browser.start())))


def test_a_wrong_acr_is_refused(fc_browser, linked_claire, monkeypatch):
    original = local_provider.id_token_claims
    monkeypatch.setattr(local_provider, "id_token_claims", lambda **kw: {**original(**kw), "acr": "eidas0"})
    _refused(fc_browser, fc_browser.finish(fc_browser.choose(fc_browser.start())))


def test_an_id_token_for_another_client_is_refused(fc_browser, linked_claire, monkeypatch):
    original = local_provider.id_token_claims
    monkeypatch.setattr(local_provider, "id_token_claims", lambda **kw: {**original(**kw), "aud": "un-autre-service"})
    _refused(fc_browser, fc_browser.finish(fc_browser.choose(fc_browser.start())))


def test_a_replayed_callback_is_refused(fc_browser, linked_claire):
    callback = fc_browser.choose(fc_browser.start())
    assert fc_browser.finish(callback).ok
    assert fc_browser.user_id() == str(linked_claire.user.pk)
    fc_browser.http.post(f"{fc_browser.base}/compte/logout/", data={"csrfmiddlewaretoken": fc_browser.csrf()})
    assert fc_browser.user_id() is None
    _refused(fc_browser, fc_browser.finish(callback))  # its state was used once and is gone


def test_a_code_already_exchanged_is_refused(fc_browser, linked_claire):
    callback = fc_browser.choose(fc_browser.start())
    code = _query(callback)["code"]
    stolen = requests.post(f"{fc_browser.base}/identite/fc-local/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": "portail-familles-local",
        "client_secret": "secret-local-de-demonstration",
        "redirect_uri": f"{fc_browser.base}/compte/franceconnect/login/callback/"})
    assert stolen.ok  # the first use (by an attacker here) consumes the code
    _refused(fc_browser, fc_browser.finish(callback))


def test_the_provider_refuses_a_second_use_of_a_code(fc_browser, linked_claire):
    code = _query(fc_browser.choose(fc_browser.start()))["code"]
    data = {"grant_type": "authorization_code", "code": code, "client_id": "portail-familles-local",
            "client_secret": "secret-local-de-demonstration",
            "redirect_uri": f"{fc_browser.base}/compte/franceconnect/login/callback/"}
    assert requests.post(f"{fc_browser.base}/identite/fc-local/token", data=data).ok
    again = requests.post(f"{fc_browser.base}/identite/fc-local/token", data=data)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_userinfo_answered_in_plain_json_is_refused(fc_browser, linked_claire, monkeypatch):
    monkeypatch.setattr(local_provider, "userinfo_response", JsonResponse)
    _refused(fc_browser, fc_browser.finish(fc_browser.choose(fc_browser.start())))


def test_cancelling_on_the_provider_comes_back_with_a_french_message(fc_browser):
    authorize = fc_browser.start()
    params = _query(authorize)
    fc_browser.http.get(authorize)
    response = fc_browser.http.post(f"{fc_browser.base}/identite/fc-local/authorize", data={
        **params, "cancel": "1", "csrfmiddlewaretoken": fc_browser.csrf()})
    assert "vous l'avez annulée" in html.unescape(response.text)
