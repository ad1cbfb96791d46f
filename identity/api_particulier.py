"""Client of API Particulier v3, « Quotient familial CAF & MSA » (DINUM; data of the CNAF and the MSA
through the CNAV).

The spec (OpenAPI, rendered at https://particulier.api.gouv.fr/developpeurs/openapi#tag/Quotient-familial-CAF-and-MSA;
the staging cases, with their parameters and answers, in github.com/etalab/siade_staging_data,
``payloads/api_particulier_v3_cnav_quotient_familial_*``):

- by identity pivot: ``GET {base}/v3/dss/quotient_familial/identite`` with ``Authorization: Bearer <token of
  the organisation's habilitation>`` and the query ``recipient`` (the organisation's SIRET), ``nomNaissance``,
  ``nomUsage`` (optional), ``prenoms[]`` (repeated), ``anneeDateNaissance``, ``moisDateNaissance``,
  ``jourDateNaissance``, ``sexeEtatCivil`` (F/M), ``codeCogInseePaysNaissance`` (99100 = France) and, when born
  in France, ``codeCogInseeCommuneNaissance``; ``annee``/``mois`` ask for a past month's quotient.
- with FranceConnect: ``GET {base}/v3/dss/quotient_familial/france_connect?recipient=<SIRET>`` with
  ``Authorization: Bearer <the parent's FranceConnect access token>``: the API reads the identity from it.
- 200: ``{"data": {"allocataires": [{"nom_naissance", "nom_usage", "prenoms", "date_naissance", "sexe"}],
  "enfants": [...], "adresse": {...}, "quotient_familial": {"fournisseur": "CNAF" | "MSA", "valeur": 650,
  "annee": 2024, "mois": 9, "annee_calcul": 2024, "mois_calcul": 12}}, "links": {}, "meta": {}}``.
- errors: ``{"errors": [{"code": "37003", "title": "...", "detail": "<French>", "source": ..., "meta":
  {"provider": "CNAV"}}]}``: 404 with code 37003 when no allocataire file matches (« dossier allocataire
  absent »), 401 for a missing or wrong token, 422 for bad parameters, 429 (code 00429) past 20 calls a
  second, 502 (code 37999) when the CNAV answers something unknown, 503/504 when it does not answer.

Calls are short (connect 2 s, read 3 s), retried once on a refused connection or a 502/503/504, and go
through a circuit breaker whose state is in the shared cache (every server process sees it open): after
``FAILURES_TO_OPEN`` failures in a row, calls fail at once for ``OPEN_SECONDS``, then one call is let through.
"""
import logging
from dataclasses import dataclass, field
from decimal import Decimal

import requests
from django.conf import settings
from django.core.cache import cache
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from portal.errors import FamilyError

log = logging.getLogger(__name__)

IDENTITY_PATH = "/v3/dss/quotient_familial/identite"
FRANCE_CONNECT_PATH = "/v3/dss/quotient_familial/france_connect"
SIMULATOR_PATH = "/simulateurs/api-particulier"
# The token the simulator accepts (the real one comes from API_PARTICULIER_TOKEN).
SIMULATOR_TOKEN = "jeton-simulateur-api-particulier"
# The staging recipient of the API's own examples: the simulator's SIRET when the organisation has none.
SIMULATOR_SIRET = "13002526500013"

TIMEOUT = (2, 3)  # connect, read (seconds)
FAILURES_TO_OPEN = 3
FAILURE_WINDOW_SECONDS = 120
OPEN_SECONDS = 30

NOT_FOUND_MESSAGE = (
    "Aucun dossier allocataire ne correspond à ces informations, ni à la CAF ni à la MSA. Vérifiez votre nom de "
    "naissance, vos prénoms, votre date et votre lieu de naissance, ou déposez votre attestation de quotient familial."
)
UNAVAILABLE_MESSAGE = (
    "Le service de la CAF ne répond pas pour le moment. Réessayez plus tard ou déposez votre attestation de "
    "quotient familial : le service la vérifiera."
)
BUSY_MESSAGE = (
    "Le service de la CAF reçoit trop de demandes en ce moment. Réessayez dans quelques minutes ou déposez votre "
    "attestation de quotient familial."
)
NOT_CONFIGURED_MESSAGE = (
    "La récupération du quotient auprès de la CAF n'est pas disponible pour le moment. Déposez votre attestation "
    "de quotient familial : le service la vérifiera."
)


class ApiParticulierError(FamilyError):
    """A refusal or failure of API Particulier; ``message`` is for the parent, ``code`` the API's first code."""


class AllocataireNotFound(ApiParticulierError):
    pass


class ServiceUnavailable(ApiParticulierError):
    pass


class NotConfigured(ApiParticulierError):
    """A wrong or missing token, or no SIRET: the organisation's setup, not the parent's input."""


class InvalidParameters(ApiParticulierError):
    pass


class FranceConnectTokenRefused(ApiParticulierError):
    """The FranceConnect access token was refused (expired, revoked): the identity-pivot call may follow."""


@dataclass(frozen=True)
class Identity:
    """The identity pivot of the person asked about (never stored by the portal)."""

    birth_name: str
    first_names: tuple
    birth_date: object  # datetime.date
    sex: str  # "F" or "M"
    birth_country: str = "99100"
    birth_commune: str = ""
    usage_name: str = ""

    def query(self):
        params = [
            ("nomNaissance", self.birth_name.strip().upper()),
            *(("prenoms[]", name.strip().upper()) for name in self.first_names if name.strip()),
            ("anneeDateNaissance", self.birth_date.year),
            ("moisDateNaissance", self.birth_date.month),
            ("jourDateNaissance", self.birth_date.day),
            ("sexeEtatCivil", self.sex),
            ("codeCogInseePaysNaissance", self.birth_country),
        ]
        if self.usage_name.strip():
            params.append(("nomUsage", self.usage_name.strip().upper()))
        if self.birth_country == "99100" and self.birth_commune:
            params.append(("codeCogInseeCommuneNaissance", self.birth_commune))
        return params


@dataclass(frozen=True)
class QuotientResult:
    provider: str  # "caf" or "msa"
    value: Decimal
    year: int
    month: int
    allocataires: tuple = field(default_factory=tuple)  # display names
    last_names: tuple = field(default_factory=tuple)  # birth and usage names of the allocataires, upper case

    @property
    def allocataire_names(self):
        return ", ".join(self.allocataires)


# --- Circuit breaker (state in the shared cache) ---------------------------------------------------

class CircuitBreaker:
    """Consecutive failures counted in the shared cache; open (fail fast) for ``open_seconds`` once
    ``threshold`` is reached. After that, one trial call: a failure opens it again, a success closes it."""

    def __init__(self, name, *, threshold=FAILURES_TO_OPEN, window=FAILURE_WINDOW_SECONDS, open_seconds=OPEN_SECONDS):
        self.failures_key, self.open_key = f"breaker:{name}:failures", f"breaker:{name}:open"
        self.threshold, self.window, self.open_seconds = threshold, window, open_seconds

    def is_open(self):
        return cache.get(self.open_key) is not None

    def failure(self):
        cache.add(self.failures_key, 0, self.window)
        try:
            count = cache.incr(self.failures_key)
        except ValueError:  # expired between add and incr
            cache.set(self.failures_key, 1, self.window)
            count = 1
        if count >= self.threshold:
            cache.set(self.open_key, 1, self.open_seconds)
            # the trial call after the pause opens it again at its first failure
            cache.set(self.failures_key, self.threshold - 1, self.window + self.open_seconds)
            log.warning("API Particulier: circuit ouvert pour %s s après %s échecs", self.open_seconds, count)

    def success(self):
        cache.delete_many([self.failures_key, self.open_key])


breaker = CircuitBreaker("api_particulier")


# --- HTTP -------------------------------------------------------------------------------------------

def base_url():
    if settings.API_PARTICULIER_BASE_URL:
        return settings.API_PARTICULIER_BASE_URL
    if settings.API_PARTICULIER_SIMULATOR:
        return settings.PORTAL_BASE_URL + SIMULATOR_PATH
    return ""


def api_token():
    if settings.API_PARTICULIER_TOKEN:
        return settings.API_PARTICULIER_TOKEN
    return SIMULATOR_TOKEN if settings.API_PARTICULIER_SIMULATOR else ""


def session():
    """A requests session retrying once a refused connection or a 502/503/504 (never a read timeout: the
    page would wait twice). Tests mount their own adapter on it."""
    s = requests.Session()
    retry = Retry(total=1, connect=1, read=0, status=1, other=0, backoff_factor=0.2,
                  status_forcelist=(502, 503, 504), allowed_methods=frozenset({"GET"}), raise_on_status=False)
    s.mount("https://", HTTPAdapter(max_retries=retry))
    s.mount("http://", HTTPAdapter(max_retries=retry))
    return s


def _errors(response):
    try:
        errors = response.json().get("errors") or []
    except (ValueError, AttributeError):
        return []
    return [e for e in errors if isinstance(e, dict)]


def _error_for(response, *, france_connect):
    errors = _errors(response)
    code = str(errors[0].get("code", "")) if errors else ""
    status = response.status_code
    if status == 404:
        return AllocataireNotFound(NOT_FOUND_MESSAGE, code=code, details=errors)
    if status == 401 and france_connect:
        return FranceConnectTokenRefused(NOT_CONFIGURED_MESSAGE, code=code, details=errors)
    if status in (401, 403):
        log.error("API Particulier refuse le jeton ou le SIRET (%s %s)", status, code)
        return NotConfigured(NOT_CONFIGURED_MESSAGE, code=code, details=errors)
    if status in (400, 422):
        # the API's details name the parameter, in French: shown as they come
        details = " ".join(str(e.get("detail", "")).strip() for e in errors if e.get("detail"))
        return InvalidParameters(
            "Les informations saisies n'ont pas été acceptées par la CAF. " + (details or "Vérifiez-les."),
            code=code, details=errors,
        )
    if status == 429:
        return ServiceUnavailable(BUSY_MESSAGE, code=code, details=errors)
    return ServiceUnavailable(UNAVAILABLE_MESSAGE, code=code, details=errors)


def _person_name(person):
    first = str(person.get("prenoms") or "").strip().title()
    last = str(person.get("nom_usage") or person.get("nom_naissance") or "").strip().upper()
    return f"{first} {last}".strip()


def _result(payload):
    try:
        data = payload["data"]
        qf = data["quotient_familial"]
        provider = {"CNAF": "caf", "CAF": "caf", "MSA": "msa"}[str(qf["fournisseur"]).upper()]
        people = [p for p in data.get("allocataires") or [] if isinstance(p, dict)]
        return QuotientResult(
            provider=provider, value=Decimal(str(qf["valeur"])), year=int(qf["annee"]), month=int(qf["mois"]),
            allocataires=tuple(_person_name(p) for p in people),
            last_names=tuple(str(p.get(k)).strip().upper() for p in people for k in ("nom_naissance", "nom_usage")
                             if p.get(k)),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        log.error("API Particulier: réponse inattendue (%s)", exc)
        raise ServiceUnavailable(UNAVAILABLE_MESSAGE, code="format") from None


def quotient_fetch(*, siret, identity=None, france_connect_token=None, http=None):
    """The quotient familial of ``identity`` (or of the FranceConnect user of ``france_connect_token``).

    Raises an ``ApiParticulierError`` carrying the message for the parent. ``http``: a requests session
    (tests mount the simulator on one)."""
    if (identity is None) == (france_connect_token is None):
        raise ValueError("identity or france_connect_token, exactly one")
    url, token = base_url(), api_token()
    if not url or not token or not siret:
        log.error("API Particulier n'est pas configurée (adresse, jeton ou SIRET manquant)")
        raise NotConfigured(NOT_CONFIGURED_MESSAGE, code="configuration")
    if breaker.is_open():
        raise ServiceUnavailable(UNAVAILABLE_MESSAGE, code="circuit")
    if france_connect_token:
        path, params, bearer = FRANCE_CONNECT_PATH, [("recipient", siret)], france_connect_token
    else:
        path, params, bearer = IDENTITY_PATH, [("recipient", siret), *identity.query()], token
    http = http or session()
    try:
        response = http.get(url + path, params=params, timeout=TIMEOUT,
                            headers={"Authorization": f"Bearer {bearer}", "Accept": "application/json"})
    except requests.RequestException as exc:
        log.warning("API Particulier injoignable : %s", exc.__class__.__name__)
        breaker.failure()
        raise ServiceUnavailable(UNAVAILABLE_MESSAGE, code="timeout") from None
    if response.status_code >= 500:
        breaker.failure()
        raise _error_for(response, france_connect=bool(france_connect_token))
    breaker.success()  # it answered: 2xx and 4xx alike
    if response.status_code != 200:
        raise _error_for(response, france_connect=bool(france_connect_token))
    try:
        payload = response.json()
    except ValueError:
        payload = None
    return _result(payload)
