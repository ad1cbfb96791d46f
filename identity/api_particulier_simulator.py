"""A local simulator of API Particulier's « Quotient familial CAF & MSA » (v3), for the demo and the tests.

Served by the portal under ``/simulateurs/api-particulier/`` only with ``API_PARTICULIER_SIMULATOR`` (on by
default with DEBUG; a system check refuses it with DEBUG off, ``api_particulier_checks``). Same paths,
parameters, answers and error bodies as the real API (see ``api_particulier``'s docstring for the spec):

- ``/v3/dss/quotient_familial/identite``: the token must be ``SIMULATOR_TOKEN`` (else 401), ``recipient``
  a SIRET (else 422); the identity is looked up in ``ALLOCATAIRES`` (birth name, first first name, birth
  date, sex; accents and case ignored); no match → 404, code 37003, « dossier allocataire absent ».
  The birth name ``INDISPONIBLE`` answers 502 (code 37999), as when the CNAV fails.
- ``/v3/dss/quotient_familial/france_connect``: the bearer is a FranceConnect access token; the ones the
  demo's identity provider (or a test) registered with ``france_connect_token_register`` map to an
  allocataire, any other answers 401.
"""
import hashlib
import unicodedata

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, JsonResponse
from django.urls import path
from django.views.decorators.http import require_GET

from .api_particulier import SIMULATOR_TOKEN

# Demo allocataires. The first is the demo's first family (Claire MARTIN, families/demo.py): a guardian who
# logs in with the demo password fetches her quotient with this identity.
ALLOCATAIRES = [
    {
        "key": ("MARTIN", "CLAIRE", "1986-04-12", "F"),
        "commune": "26362",
        "data": {
            "allocataires": [
                {"nom_naissance": "MARTIN", "nom_usage": None, "prenoms": "CLAIRE ANNE", "date_naissance": "1986-04-12", "sexe": "F"},
                {"nom_naissance": "MARTIN", "nom_usage": None, "prenoms": "JULIEN", "date_naissance": "1984-09-03", "sexe": "M"},
            ],
            "enfants": [
                {"nom_naissance": "MARTIN", "nom_usage": None, "prenoms": "LEA", "date_naissance": "2016-05-20", "sexe": "F"},
            ],
            "adresse": {
                "destinataire": "Madame MARTIN CLAIRE", "complement_information": None,
                "complement_information_geographique": None, "numero_libelle_voie": "12 RUE DES ÉCOLES",
                "lieu_dit": None, "code_postal_ville": "26000 VALENCE", "pays": "FRANCE",
            },
            "quotient_familial": {"fournisseur": "CNAF", "valeur": 742, "annee": 2026, "mois": 10,
                                  "annee_calcul": 2026, "mois_calcul": 11},
        },
    },
    {
        "key": ("BLANC", "CELINE", "1990-11-23", "F"),
        "commune": "07186",
        "data": {
            "allocataires": [
                {"nom_naissance": "BLANC", "nom_usage": None, "prenoms": "CELINE", "date_naissance": "1990-11-23", "sexe": "F"},
            ],
            "enfants": [],
            "adresse": {
                "destinataire": "Madame BLANC CELINE", "complement_information": None,
                "complement_information_geographique": None, "numero_libelle_voie": "LE MAS DES PINS",
                "lieu_dit": None, "code_postal_ville": "07300 TOURNON-SUR-RHONE", "pays": "FRANCE",
            },
            "quotient_familial": {"fournisseur": "MSA", "valeur": 515, "annee": 2026, "mois": 9,
                                  "annee_calcul": 2026, "mois_calcul": 11},
        },
    },
    {
        "key": ("DUPONT", "SOPHIE", "1982-09-03", "F"),
        "commune": "13001",
        "data": {
            "allocataires": [
                {"nom_naissance": "DUPONT", "nom_usage": None, "prenoms": "SOPHIE", "date_naissance": "1982-09-03", "sexe": "F"},
            ],
            "enfants": [],
            "adresse": {
                "destinataire": "Madame DUPONT SOPHIE", "complement_information": None,
                "complement_information_geographique": None, "numero_libelle_voie": "15 COURS JULIEN",
                "lieu_dit": None, "code_postal_ville": "13006 MARSEILLE", "pays": "FRANCE",
            },
            "quotient_familial": {"fournisseur": "CNAF", "valeur": 900, "annee": 2026, "mois": 10,
                                  "annee_calcul": 2026, "mois_calcul": 11},
        },
    },
]
UNAVAILABLE_NAME = "INDISPONIBLE"


def _plain(text):
    return "".join(c for c in unicodedata.normalize("NFKD", str(text or "")) if not unicodedata.combining(c)).upper().strip()


def _error(status, code, title, detail, *, source=None, provider="CNAV"):
    return JsonResponse({"errors": [{"code": code, "title": title, "detail": detail, "source": source,
                                     "meta": {"provider": provider} if provider else {}}]}, status=status)


def _bearer(request):
    header = request.headers.get("Authorization", "")
    return header[7:].strip() if header.startswith("Bearer ") else ""


def _recipient_error(request):
    recipient = request.GET.get("recipient", "")
    if len(recipient) == 14 and recipient.isdigit():
        return None
    return _error(422, "00208", "Entité non traitable",
                  "Le paramètre recipient doit être le numéro de SIRET de l'organisation (14 chiffres).",
                  source={"parameter": "recipient"}, provider=None)


def _found(allocataire):
    return JsonResponse({"data": allocataire["data"], "links": {}, "meta": {}})


def _not_found():
    return _error(404, "37003", "Dossier allocataire absent CNAV",
                  "Le dossier allocataire n'a pas été trouvé auprès de la CNAV.")


def _enabled():
    if not settings.API_PARTICULIER_SIMULATOR:
        raise Http404


def _unauthorized():
    return _error(401, "00101", "Interdit", "Votre jeton d'accès est absent, invalide ou expiré.", provider=None)


@require_GET
def quotient_identite(request):
    _enabled()
    if _bearer(request) != SIMULATOR_TOKEN:
        return _unauthorized()
    if (error := _recipient_error(request)) is not None:
        return error
    missing = [name for name in ("nomNaissance", "prenoms[]", "anneeDateNaissance", "sexeEtatCivil",
                                 "codeCogInseePaysNaissance") if not request.GET.get(name)]
    if missing:
        return _error(422, "00210", "Entité non traitable",
                      f"Le paramètre {missing[0]} est obligatoire.", source={"parameter": missing[0]}, provider=None)
    name = _plain(request.GET["nomNaissance"])
    if name == UNAVAILABLE_NAME:
        return _error(502, "37999", "Erreur inconnue du fournisseur de données",
                      "La réponse retournée par le fournisseur de données est invalide et inconnue de notre service.")
    try:
        birth = f"{int(request.GET['anneeDateNaissance']):04d}-{int(request.GET.get('moisDateNaissance', 0)):02d}-" \
                f"{int(request.GET.get('jourDateNaissance', 0)):02d}"
    except ValueError:
        return _error(422, "00210", "Entité non traitable", "La date de naissance est invalide.",
                      source={"parameter": "anneeDateNaissance"}, provider=None)
    key = (name, _plain(request.GET.getlist("prenoms[]")[0]), birth, request.GET["sexeEtatCivil"].upper())
    for allocataire in ALLOCATAIRES:
        if allocataire["key"] == key:
            return _found(allocataire)
    return _not_found()


def _fc_key(token):
    return "apisim:fc:" + hashlib.sha256(token.encode()).hexdigest()


def france_connect_token_register(token, *, birth_name, first_name, birth_date, sex, timeout=3600):
    """Let the simulator's FranceConnect path answer for ``token`` with this identity (demo IdP, tests)."""
    cache.set(_fc_key(token), (_plain(birth_name), _plain(first_name), birth_date.isoformat(), sex), timeout)


@require_GET
def quotient_france_connect(request):
    _enabled()
    token = _bearer(request)
    key = cache.get(_fc_key(token)) if token else None
    if key is None:
        return _unauthorized()
    if (error := _recipient_error(request)) is not None:
        return error
    key = tuple(key)
    for allocataire in ALLOCATAIRES:
        if allocataire["key"] == key:
            return _found(allocataire)
    return _not_found()


urlpatterns = [
    path("v3/dss/quotient_familial/identite", quotient_identite, name="api_particulier_identite"),
    path("v3/dss/quotient_familial/france_connect", quotient_france_connect, name="api_particulier_france_connect"),
]
