"""The API Particulier client against the portal's simulator (same paths, answers and error bodies)."""
import datetime
from decimal import Decimal

import pytest
import requests
import time_machine
from django.urls import reverse

from identity import api_particulier as api
from identity import api_particulier_checks
from identity.api_particulier_simulator import france_connect_token_register

from .simulator_http import simulator_session

SIRET = "21260362100011"
CLAIRE = api.Identity(birth_name="Martin", first_names=("Claire", "Anne"), birth_date=datetime.date(1986, 4, 12),
                      sex="F", birth_commune="26362")
CELINE = api.Identity(birth_name="Blanc", first_names=("Céline",), birth_date=datetime.date(1990, 11, 23), sex="F",
                      birth_commune="07186")
NOBODY = api.Identity(birth_name="Lefebvre", first_names=("Alexis",), birth_date=datetime.date(1982, 12, 27), sex="F",
                      birth_commune="08480")
CNAV_DOWN = api.Identity(birth_name="Indisponible", first_names=("René",), birth_date=datetime.date(2002, 12, 5),
                         sex="M", birth_commune="08480")


def test_caf_quotient_by_identity_pivot():
    http = simulator_session()
    result = api.quotient_fetch(siret=SIRET, identity=CLAIRE, http=http)
    assert result == api.QuotientResult(provider="caf", value=Decimal("742"), year=2026, month=10,
                                        allocataires=("Claire Anne MARTIN", "Julien MARTIN"),
                                        last_names=("MARTIN", "MARTIN"))
    url, timeout = http.adapter.calls[0]
    assert url.startswith("http://127.0.0.1:8000/simulateurs/api-particulier/v3/dss/quotient_familial/identite?")
    assert f"recipient={SIRET}" in url and "prenoms%5B%5D=CLAIRE&prenoms%5B%5D=ANNE" in url
    assert "codeCogInseeCommuneNaissance=26362" in url and "jourDateNaissance=12" in url
    assert timeout == (2, 3)


def test_msa_quotient_accents_and_case_ignored():
    result = api.quotient_fetch(siret=SIRET, identity=CELINE, http=simulator_session())
    assert (result.provider, result.value, result.month, result.allocataire_names) == ("msa", Decimal("515"), 9, "Celine BLANC")


def test_no_allocataire_file_is_the_api_404_37003_in_plain_french():
    with pytest.raises(api.AllocataireNotFound) as exc:
        api.quotient_fetch(siret=SIRET, identity=NOBODY, http=simulator_session())
    assert exc.value.code == "37003"
    assert exc.value.details[0]["title"] == "Dossier allocataire absent CNAV"
    assert exc.value.message.startswith("Aucun dossier allocataire ne correspond")
    assert not api.breaker.is_open()


def test_a_wrong_token_is_a_configuration_error_not_the_parents(settings):
    settings.API_PARTICULIER_TOKEN = "jeton-perime"
    with pytest.raises(api.NotConfigured) as exc:
        api.quotient_fetch(siret=SIRET, identity=CLAIRE, http=simulator_session())
    assert exc.value.code == "00101"
    assert "Déposez votre attestation" in exc.value.message


def test_missing_parameters_show_the_api_detail():
    incomplete = api.Identity(birth_name="Martin", first_names=(), birth_date=datetime.date(1986, 4, 12), sex="F",
                              birth_commune="26362")
    with pytest.raises(api.InvalidParameters) as exc:
        api.quotient_fetch(siret=SIRET, identity=incomplete, http=simulator_session())
    assert "prenoms[]" in exc.value.message


def test_missing_configuration_makes_no_call(settings):
    settings.API_PARTICULIER_SIMULATOR, settings.API_PARTICULIER_BASE_URL = False, ""
    http = simulator_session()
    with pytest.raises(api.NotConfigured):
        api.quotient_fetch(siret=SIRET, identity=CLAIRE, http=http)
    assert http.adapter.calls == []


def test_france_connect_token_call_and_refused_token():
    france_connect_token_register("fc-jeton-claire", birth_name="MARTIN", first_name="Claire",
                                  birth_date=datetime.date(1986, 4, 12), sex="F")
    http = simulator_session()
    assert api.quotient_fetch(siret=SIRET, france_connect_token="fc-jeton-claire", http=http).value == Decimal("742")
    assert "/v3/dss/quotient_familial/france_connect?recipient=" in http.adapter.calls[0][0]
    with pytest.raises(api.FranceConnectTokenRefused):
        api.quotient_fetch(siret=SIRET, france_connect_token="fc-jeton-inconnu", http=simulator_session())


def test_timeouts_open_the_circuit_for_every_process_then_it_closes():
    slow = simulator_session(fail=requests.ReadTimeout("read timed out"))
    with time_machine.travel(datetime.datetime(2026, 11, 3, 9, 0, tzinfo=datetime.UTC), tick=False) as clock:
        for _ in range(api.FAILURES_TO_OPEN):
            with pytest.raises(api.ServiceUnavailable) as exc:
                api.quotient_fetch(siret=SIRET, identity=CLAIRE, http=slow)
            assert exc.value.message.startswith("Le service de la CAF ne répond pas")
        assert api.breaker.is_open()  # state in the shared cache, not in this process's memory
        healthy = simulator_session()
        with pytest.raises(api.ServiceUnavailable) as exc:
            api.quotient_fetch(siret=SIRET, identity=CLAIRE, http=healthy)
        assert exc.value.code == "circuit" and healthy.adapter.calls == []  # failed fast, no call
        clock.shift(api.OPEN_SECONDS + 1)
        assert not api.breaker.is_open()
        with pytest.raises(api.ServiceUnavailable):  # the trial call fails: open again at once
            api.quotient_fetch(siret=SIRET, identity=CLAIRE, http=slow)
        assert api.breaker.is_open()
        clock.shift(api.OPEN_SECONDS + 1)
        assert api.quotient_fetch(siret=SIRET, identity=CLAIRE, http=healthy).value == Decimal("742")  # closed
        with pytest.raises(api.ServiceUnavailable):
            api.quotient_fetch(siret=SIRET, identity=CLAIRE, http=slow)
        assert not api.breaker.is_open()  # one failure after a success does not open it


def test_server_errors_count_as_failures():
    for _ in range(api.FAILURES_TO_OPEN):
        with pytest.raises(api.ServiceUnavailable) as exc:
            api.quotient_fetch(siret=SIRET, identity=CNAV_DOWN, http=simulator_session())
        assert exc.value.code in ("37999", "circuit")
    assert api.breaker.is_open()


def test_real_session_retries_server_errors_once_but_not_read_timeouts():
    retry = api.session().get_adapter("https://particulier.api.gouv.fr").max_retries
    assert (retry.total, retry.connect, retry.read, retry.status) == (1, 1, 0, 1)
    assert 502 in retry.status_forcelist and 404 not in retry.status_forcelist


def test_simulator_is_refused_in_production(settings, monkeypatch):
    monkeypatch.setattr(api_particulier_checks, "is_test_settings", lambda: False)
    settings.DEBUG, settings.API_PARTICULIER_SIMULATOR = False, True
    assert [e.id for e in api_particulier_checks.api_particulier_simulator_check()] == ["identity.E002"]
    settings.API_PARTICULIER_SIMULATOR = False
    assert api_particulier_checks.api_particulier_simulator_check() == []


@pytest.mark.django_db
def test_simulator_answers_404_when_disabled(client, settings):
    settings.API_PARTICULIER_SIMULATOR = False
    assert client.get(reverse("api_particulier_identite")).status_code == 404
