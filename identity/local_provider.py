"""A small OpenID Connect provider that behaves like FranceConnect v2, for the demo and the tests.

Served under /identite/fc-local/ only when ``FRANCECONNECT_LOCAL_PROVIDER`` is on (DEBUG; a system check refuses
it in production, ``identity/checks.py``). It is a real provider: discovery document, JWKS, an authorize page
offering demo identities, a token endpoint issuing RS256-signed ID tokens (nonce, acr, jti), a userinfo endpoint
answering a signed JWT, and an end-session endpoint checking ``id_token_hint``. So the portal's real client
(``identity/franceconnect``) runs end to end offline, the way the fake payment provider runs eopayment.

Keys, codes and access tokens live in the shared cache (so every server process sees them); codes are used once.
"""
import base64
import hashlib
import secrets
import time
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

KEY_CACHE = "identity:local_oidc:key"
CODE_TTL = 60
TOKEN_TTL = 600
ID_TOKEN_TTL = 300

# The demo identities. The first matches a demo guardian (families/demo.py, birth date set by identity/demo.py);
# the second has a namesake's birth date (a refused link); the third is nobody in the file (a new family).
IDENTITIES = {
    "demo-claire-martin": {
        "given_name": "Claire Hélène", "family_name": "MARTIN", "birthdate": "1986-04-12", "gender": "female",
        "email": "claire.martin@demo.portail.example", "birthplace": "07010", "birthcountry": "99100",
        "label": "Claire MARTIN (parent d'une famille de démonstration)",
    },
    "demo-claire-martin-homonyme": {
        "given_name": "Claire", "family_name": "MARTIN", "birthdate": "1971-09-30", "gender": "female",
        "email": "claire.martin.1971@demo.portail.example", "birthplace": "69123", "birthcountry": "99100",
        "label": "Claire MARTIN, née en 1971 (une homonyme)",
    },
    "demo-camille-durand": {
        "given_name": "Camille", "family_name": "DURAND", "birthdate": "1990-02-17", "gender": "female",
        "email": "camille.durand@demo.portail.example", "birthplace": "75056", "birthcountry": "99100",
        "label": "Camille DURAND (nouvelle famille, sans dossier)",
    },
}
CLAIMS = ("given_name", "family_name", "birthdate", "gender", "email", "birthplace", "birthcountry")


def enabled():
    return bool(getattr(settings, "FRANCECONNECT_LOCAL_PROVIDER", False))


def _require_enabled():
    if not enabled():
        raise Http404


def _private_key():
    pem = cache.get(KEY_CACHE)
    if pem is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        if not cache.add(KEY_CACHE, pem, timeout=None):
            pem = cache.get(KEY_CACHE) or pem
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _kid(public_key):
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:12]).decode().rstrip("=")


def sign(claims, *, key=None, kid=None):
    """An RS256 JWT signed with the provider's key (tests may pass another key to forge one)."""
    key = key or _private_key()
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid or _kid(_private_key().public_key())})


def _issuer(request):
    return request.build_absolute_uri(reverse("identity:local_oidc_root"))


def _client_ok(client_id, secret=None):
    if not hmac_eq(client_id, settings.FRANCECONNECT_CLIENT_ID):
        return False
    return secret is None or hmac_eq(secret, settings.FRANCECONNECT_SECRET)


def hmac_eq(a, b):
    return secrets.compare_digest(str(a or "").encode(), str(b or "").encode())


def _allowed_redirect(request, uri, name):
    return uri == request.build_absolute_uri(reverse(name))


@require_GET
def discovery(request):
    _require_enabled()
    base = _issuer(request)
    return JsonResponse({
        "issuer": base,
        "authorization_endpoint": request.build_absolute_uri(reverse("identity:local_oidc_authorize")),
        "token_endpoint": request.build_absolute_uri(reverse("identity:local_oidc_token")),
        "userinfo_endpoint": request.build_absolute_uri(reverse("identity:local_oidc_userinfo")),
        "end_session_endpoint": request.build_absolute_uri(reverse("identity:local_oidc_end_session")),
        "jwks_uri": request.build_absolute_uri(reverse("identity:local_oidc_jwks")),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "scopes_supported": ["openid", *CLAIMS],
        "acr_values_supported": ["eidas1"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["sub", *CLAIMS],
    })


@require_GET
def jwks(request):
    _require_enabled()
    public = _private_key().public_key()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
    jwk.update({"kid": _kid(public), "alg": "RS256", "use": "sig"})
    return JsonResponse({"keys": [jwk]})


@require_http_methods(["GET", "POST"])
def authorize(request):
    """The identity choice: GET shows the demo identities, POST (one chosen, or cancel) returns to the portal."""
    _require_enabled()
    params = request.GET if request.method == "GET" else request.POST
    client_id, redirect_uri = params.get("client_id", ""), params.get("redirect_uri", "")
    if not _client_ok(client_id) or not _allowed_redirect(request, redirect_uri, "franceconnect_callback"):
        return HttpResponseBadRequest("client_id ou redirect_uri inconnu")
    state, nonce = params.get("state", ""), params.get("nonce", "")
    scope = params.get("scope", "").split()
    errors = []
    if params.get("response_type") != "code":
        errors.append("response_type doit valoir code")
    if "openid" not in scope:
        errors.append("le scope openid manque")
    if len(state) < 22 or len(nonce) < 22:
        errors.append("state et nonce doivent faire au moins 22 caractères")
    if "eidas1" not in params.get("acr_values", "").split():
        errors.append("acr_values doit demander eidas1")
    if errors:
        return HttpResponseRedirect(f"{redirect_uri}?{urlencode({'error': 'invalid_request', 'error_description': '; '.join(errors), 'state': state})}")
    if request.method == "GET":
        hidden = {k: params.get(k, "") for k in ("client_id", "redirect_uri", "state", "nonce", "scope", "acr_values", "response_type")}
        return render(request, "identity/local_provider_authorize.html", {
            "identities": [(sub, data["label"]) for sub, data in IDENTITIES.items()], "hidden": hidden,
        })
    if "cancel" in request.POST or request.POST.get("sub") not in IDENTITIES:
        return HttpResponseRedirect(f"{redirect_uri}?{urlencode({'error': 'access_denied', 'state': state})}")
    code = secrets.token_urlsafe(32)
    cache.set(f"identity:local_oidc:code:{code}", {
        "sub": request.POST["sub"], "client_id": client_id, "redirect_uri": redirect_uri, "nonce": nonce,
        "scope": scope, "acr": "eidas1",
    }, timeout=CODE_TTL)
    return HttpResponseRedirect(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")


def _token_error(error, status=400):
    return JsonResponse({"error": error}, status=status)


def id_token_claims(*, issuer, grant, now):
    """The ID token's claims (a function of its own so the protocol tests can make it misbehave)."""
    return {
        "iss": issuer, "sub": grant["sub"], "aud": grant["client_id"], "iat": now, "exp": now + ID_TOKEN_TTL,
        "nonce": grant["nonce"], "acr": grant["acr"], "amr": ["pwd"], "jti": secrets.token_urlsafe(16),
        "idp_acr": grant["acr"],
    }


@csrf_exempt
@require_POST
def token(request):
    _require_enabled()
    client_id, secret = request.POST.get("client_id"), request.POST.get("client_secret")
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        try:
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return _token_error("invalid_client", 401)
    if not _client_ok(client_id, secret or ""):
        return _token_error("invalid_client", 401)
    if request.POST.get("grant_type") != "authorization_code":
        return _token_error("unsupported_grant_type")
    code = request.POST.get("code", "")
    key = f"identity:local_oidc:code:{code}"
    grant = cache.get(key)
    # A code is used once: the first use deletes it, a replay finds nothing.
    if grant is None or not cache.delete(key):
        return _token_error("invalid_grant")
    if grant["client_id"] != client_id or grant["redirect_uri"] != request.POST.get("redirect_uri"):
        return _token_error("invalid_grant")
    now = int(time.time())
    access_token = secrets.token_urlsafe(32)
    cache.set(f"identity:local_oidc:access:{access_token}", grant, timeout=TOKEN_TTL)
    id_token = sign(id_token_claims(issuer=_issuer(request), grant=grant, now=now))
    response = JsonResponse({
        "access_token": access_token, "token_type": "Bearer", "expires_in": TOKEN_TTL, "id_token": id_token,
        "scope": " ".join(grant["scope"]),
    })
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def userinfo(request):
    _require_enabled()
    auth = request.headers.get("Authorization", "")
    grant = cache.get(f"identity:local_oidc:access:{auth[7:]}") if auth.startswith("Bearer ") else None
    if grant is None:
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return response
    identity = IDENTITIES[grant["sub"]]
    now = int(time.time())
    claims = {"iss": _issuer(request), "aud": grant["client_id"], "sub": grant["sub"], "iat": now,
              "exp": now + ID_TOKEN_TTL}
    claims.update({name: identity[name] for name in CLAIMS if name in grant["scope"]})
    return userinfo_response(claims)


def userinfo_response(claims):
    """FranceConnect answers the userinfo as a JWT signed like the ID token (the tests make it misbehave here)."""
    return HttpResponse(sign(claims), content_type="application/jwt")


@require_GET
def end_session(request):
    """Checks ``id_token_hint`` (signed by us, for this client) and returns to the registered logout page."""
    _require_enabled()
    try:
        jwt.decode(request.GET.get("id_token_hint", ""), _private_key().public_key(), algorithms=["RS256"],
                   audience=settings.FRANCECONNECT_CLIENT_ID, issuer=_issuer(request),
                   options={"verify_exp": False})
    except jwt.PyJWTError:
        return HttpResponseBadRequest("id_token_hint invalide")
    target = request.GET.get("post_logout_redirect_uri", "")
    if not _allowed_redirect(request, target, "identity:franceconnect_logged_out"):
        return HttpResponseBadRequest("post_logout_redirect_uri inconnu")
    return HttpResponseRedirect(f"{target}?{urlencode({'state': request.GET.get('state', '')})}")


@require_GET
def root(request):
    _require_enabled()
    return HttpResponseRedirect(reverse("identity:local_oidc_discovery"))
