"""Fetching a family's quotient familial from API Particulier and recording it in the quotient history.

Whether the fetched value applies at once or waits for staff is the organisation's ``policy_quotient``.
The identity typed by the parent is passed to the API and never stored.
"""
import logging
import unicodedata

from django.conf import settings
from django.utils import timezone

from families.models import QuotientRecord
from families.services_quotient import first_of_month, quotient_record_create
from portal.errors import FamilyError
from portal.models import Organisation
from portal.ratelimit import limit_exceeded

from . import api_particulier as api

log = logging.getLogger(__name__)

SOURCES = {"caf": QuotientRecord.Source.CAF, "msa": QuotientRecord.Source.MSA}
# Calls a family may make in a day: enough for typing mistakes, too few to look other people up.
FETCHES_PER_DAY = 5
TOO_MANY_FETCHES = (
    "Vous avez déjà interrogé la CAF plusieurs fois aujourd'hui. Réessayez demain ou déposez votre attestation de "
    "quotient familial."
)


def _plain(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text or "") if not unicodedata.combining(c)).upper().strip()


def allocataire_is_a_guardian(*, family, result):
    """Whether one allocataire's birth or usage name is a guardian's name: otherwise the value waits for staff
    even when the organisation applies fetched quotients at once."""
    names = {_plain(name) for name in result.last_names}
    return any(_plain(g.last_name) in names for g in family.guardians.all())


def organisation_siret():
    siret = Organisation.current().siret
    if not siret and settings.API_PARTICULIER_SIMULATOR:
        return api.SIMULATOR_SIRET
    return siret


def quotient_fetch_for_family(*, family, user, identity=None, france_connect_token=None, http=None, now=None):
    """Ask API Particulier for the quotient and record it (validated at once, or pending for staff).

    With a FranceConnect access token the API reads the identity from it; if that token is refused
    (expired) and the parent typed an identity, the identity-pivot call follows. Raises
    ``api.ApiParticulierError`` (a ``FamilyError``) with the message for the parent."""
    now = now or timezone.now()
    if limit_exceeded(scope="quotient_fetch", ident=family.pk, limit=FETCHES_PER_DAY, period=24 * 3600):
        raise FamilyError(TOO_MANY_FETCHES, code="rate_limit")
    siret = organisation_siret()
    result = None
    if france_connect_token:
        try:
            result = api.quotient_fetch(siret=siret, france_connect_token=france_connect_token, http=http)
        except api.FranceConnectTokenRefused:
            if identity is None:
                raise api.FranceConnectTokenRefused(
                    "Votre connexion FranceConnect a expiré : complétez votre identité ci-dessous pour interroger "
                    "la CAF ou la MSA.", code="france_connect") from None
    if result is None:
        if identity is None:
            raise api.InvalidParameters("Complétez votre identité pour interroger la CAF ou la MSA.")
        result = api.quotient_fetch(siret=siret, identity=identity, http=http)
    direct = (Organisation.current().policy_quotient == Organisation.ChangePolicy.DIRECT
              and allocataire_is_a_guardian(family=family, result=result))
    return quotient_record_create(
        family=family, value=result.value, source=SOURCES[result.provider], valid_from=timezone.localdate(now),
        benefit_month=first_of_month(result.year, result.month), allocataire=result.allocataire_names,
        by=user, validate=direct, now=now,
    )


def quotient_proof_submit(*, family, user, value, benefit_number, proof, now=None):
    """A parent declares the quotient with the CAF/MSA certificate: always checked by staff."""
    return quotient_record_create(
        family=family, value=value, source=QuotientRecord.Source.PROOF, valid_from=timezone.localdate(now or timezone.now()),
        benefit_number=benefit_number.strip(), proof=proof, by=user, now=now,
    )
