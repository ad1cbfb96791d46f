"""Parent pages of the quotient familial (API Particulier through the simulator) and the staff admin."""
import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from families.models import QuotientRecord
from families.services_quotient import quotient_record_create
from families.tests.factories import parent_with_family
from identity import api_particulier as api
from identity.api_particulier_simulator import france_connect_token_register
from identity.quotient_services import FETCHES_PER_DAY
from messaging.tests.factories import upload
from portal.models import AuditLog, Organisation

from .simulator_http import simulator_session

pytestmark = pytest.mark.django_db

CLAIRE = {"consent": "on", "sex": "F", "birth_name": "Martin", "first_names": "Claire Anne",
          "birth_date": "1986-04-12", "birth_commune": "26362"}


@pytest.fixture
def simulator(monkeypatch):
    """The client's HTTP goes to the simulator (no socket); ``simulator.calls`` lists the calls."""
    http = simulator_session()
    monkeypatch.setattr(api, "session", lambda: http)
    return http.adapter


def _policy(value):
    org = Organisation.current()
    org.policy_quotient = value
    org.save()


def test_consent_page_prefills_the_guardian_and_explains(parent_client, parent):
    page = parent_client.get("/famille/quotient/").content.decode()
    assert "Récupérer mon quotient auprès de la CAF ou de la MSA" in page
    assert "le portail ne la conserve pas" in page and "vérifié par le service avant" in page
    assert f'value="{parent[0].guardian.last_name}"' in page


def test_fetch_waits_for_staff_by_default(parent_client, parent, simulator):
    _, family = parent
    response = parent_client.post("/famille/quotient/", CLAIRE)
    record = QuotientRecord.objects.get(family=family)
    assert response.status_code == 302 and response["Location"] == f"/famille/quotient/{record.pk}/"
    assert (record.value, record.source, record.status, record.benefit_month, record.allocataire) == (
        D("742"), QuotientRecord.Source.CAF, QuotientRecord.Status.PENDING, datetime.date(2026, 10, 1),
        "Claire Anne MARTIN, Julien MARTIN")
    family.refresh_from_db()
    assert family.quotient == D("850")  # unchanged until staff validate
    page = parent_client.get(response["Location"]).content.decode()
    assert "742,00 €" in page and "CAF (API Particulier)" in page and "octobre 2026" in page
    assert "Claire Anne MARTIN" in page and "transmis au service" in page
    assert len(simulator.calls) == 1


def test_fetch_applies_at_once_when_the_organisation_says_so(parent_client, parent, simulator):
    _policy(Organisation.ChangePolicy.DIRECT)
    user, family = parent
    user.guardian.last_name = "Martin"
    user.guardian.save()
    parent_client.post("/famille/quotient/", CLAIRE)
    family.refresh_from_db()
    assert family.quotient == D("742")
    assert AuditLog.objects.filter(family=family, action="quotient.applied").exists()


def test_an_allocataire_who_is_not_a_guardian_waits_for_staff_anyway(parent_client, parent, simulator):
    _policy(Organisation.ChangePolicy.DIRECT)
    _, family = parent  # guardian MARTIN<n>: the allocataires are MARTIN
    parent_client.post("/famille/quotient/", CLAIRE)
    assert QuotientRecord.objects.get(family=family).status == QuotientRecord.Status.PENDING
    family.refresh_from_db()
    assert family.quotient == D("850")


def test_a_family_may_ask_a_few_times_a_day(parent_client, simulator):
    for _ in range(FETCHES_PER_DAY):
        parent_client.post("/famille/quotient/", {**CLAIRE, "birth_name": "Lefebvre"})
    page = parent_client.post("/famille/quotient/", CLAIRE).content.decode()
    assert "Vous avez déjà interrogé la CAF plusieurs fois aujourd&#x27;hui" in page
    assert len(simulator.calls) == FETCHES_PER_DAY


def test_no_consent_no_call(parent_client, simulator):
    response = parent_client.post("/famille/quotient/", {**CLAIRE, "consent": ""})
    assert "Cochez la case pour accepter" in response.content.decode()
    assert simulator.calls == [] and not QuotientRecord.objects.exists()


def test_unknown_allocataire_is_told_in_french_with_the_certificate_way(parent_client, simulator):
    response = parent_client.post("/famille/quotient/", {**CLAIRE, "birth_name": "Lefebvre"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Aucun dossier allocataire ne correspond à ces informations" in page
    assert 'href="/famille/quotient/attestation/"' in page
    assert not QuotientRecord.objects.exists()


def test_missing_identity_fields_are_named(parent_client, simulator):
    page = parent_client.post("/famille/quotient/", {"consent": "on"}).content.decode()
    for message in ("Indiquez votre nom de naissance.", "Indiquez votre date de naissance.",
                    "Indiquez le code INSEE de votre commune de naissance."):
        assert message in page
    assert simulator.calls == []


def test_france_connect_parent_has_nothing_to_type(parent_client, parent, simulator):
    france_connect_token_register("fc-claire", birth_name="Martin", first_name="Claire",
                                  birth_date=datetime.date(1986, 4, 12), sex="F")
    session = parent_client.session
    session["franceconnect_access_token"] = "fc-claire"
    session.save()
    assert "votre identité est transmise par FranceConnect" in parent_client.get("/famille/quotient/").content.decode()
    response = parent_client.post("/famille/quotient/", {"consent": "on"})
    assert response.status_code == 302
    assert "/quotient_familial/france_connect?" in simulator.calls[0][0]
    assert QuotientRecord.objects.get(family=parent[1]).value == D("742")


def test_expired_france_connect_token_asks_for_the_identity(parent_client, simulator):
    session = parent_client.session
    session["franceconnect_access_token"] = "fc-expire"
    session.save()
    page = parent_client.post("/famille/quotient/", {"consent": "on"}).content.decode()
    assert "Votre connexion FranceConnect a expiré" in page
    response = parent_client.post("/famille/quotient/", CLAIRE)  # the identity pivot follows
    assert response.status_code == 302 and len(simulator.calls) == 3  # FC, FC refused again, then the identity


def test_certificate_upload_waits_for_staff_and_staff_open_it(parent_client, parent, client, staff_user):
    _, family = parent
    response = parent_client.post("/famille/quotient/attestation/", {
        "value": "612,50".replace(",", "."), "benefit_number": "7654321", "proof": upload("attestation-caf.pdf")})
    assert response.status_code == 302
    record = QuotientRecord.objects.get(family=family)
    assert (record.source, record.status, record.value, record.proof_name) == (
        QuotientRecord.Source.PROOF, QuotientRecord.Status.PENDING, D("612.50"), "attestation-caf.pdf")
    assert parent_client.get(f"/personnel/quotient/{record.pk}/attestation/").status_code == 302  # to the admin login
    client.force_login(staff_user)
    answer = client.get(f"/personnel/quotient/{record.pk}/attestation/")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"


def test_certificate_upload_refuses_a_missing_file(parent_client):
    page = parent_client.post("/famille/quotient/attestation/", {"value": "600"}).content.decode()
    assert "Joignez l&#x27;attestation de la CAF ou de la MSA." in page
    assert not QuotientRecord.objects.exists()


def test_another_familys_quotient_is_404(parent_client, other_family):
    record = quotient_record_create(family=other_family[1], value=D("500"), source=QuotientRecord.Source.CAF,
                                    valid_from=datetime.date(2026, 11, 1), by=other_family[0])
    assert parent_client.get(f"/famille/quotient/{record.pk}/").status_code == 404


def test_dossier_shows_history_in_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    user, family = parent_with_family(children=1)
    client.force_login(user)
    client.get("/famille/")  # warm the organisation row
    with CaptureQueriesContext(connection) as few:
        assert client.get("/famille/").status_code == 200
    for month in range(1, 13):
        quotient_record_create(family=family, value=D(400 + month), source=QuotientRecord.Source.CAF,
                               valid_from=datetime.date(2026, month, 1), by=user)
    with django_assert_max_num_queries(len(few)):
        page = client.get("/famille/").content.decode()
    assert "Historique du quotient familial" in page and "412,00 €" in page and "en attente de validation" in page
    assert "Récupérer mon quotient auprès de la CAF/MSA" in page


def test_staff_validate_and_refuse_from_the_admin_list(client, staff_user, parent):
    user, family = parent
    first = quotient_record_create(family=family, value=D("742"), source=QuotientRecord.Source.CAF,
                                   valid_from=datetime.date(2026, 11, 2), by=user)
    second = quotient_record_create(family=family, value=D("300"), source=QuotientRecord.Source.PROOF,
                                    valid_from=datetime.date(2026, 11, 3), by=user)
    client.force_login(staff_user)
    listing = client.get("/admin/families/quotientrecord/").content.decode()
    assert "742,00 €" in listing and "En attente de validation" in listing
    client.post("/admin/families/quotientrecord/", {"action": "validate_selected", "_selected_action": [first.pk]})
    asked = client.post("/admin/families/quotientrecord/", {"action": "refuse_selected", "_selected_action": [second.pk]})
    assert "Motif du refus" in asked.content.decode()
    client.post("/admin/families/quotientrecord/", {"action": "refuse_selected", "_selected_action": [second.pk],
                                                    "apply": "1", "reason": "Attestation de 2024"})
    first.refresh_from_db()
    second.refresh_from_db()
    family.refresh_from_db()
    assert first.status == QuotientRecord.Status.VALIDATED and first.validated_by == staff_user
    assert second.status == QuotientRecord.Status.REFUSED and second.refusal_reason == "Attestation de 2024"
    assert family.quotient == D("742")
    actions = set(AuditLog.objects.filter(family=family, actor=staff_user).values_list("action", flat=True))
    assert {"quotient.validated", "quotient.refused"} <= actions
    change = client.get(f"/admin/families/family/{family.pk}/change/").content.decode()
    assert "historique du quotient familial" in change.lower() and "Attestation de 2024" not in change  # inline shows value rows


def test_staff_add_a_value_in_the_admin(client, staff_user, parent):
    _, family = parent
    client.force_login(staff_user)
    response = client.post("/admin/families/quotientrecord/add/", {
        "family": family.pk, "value": "980", "source": "staff", "benefit_number": "", "valid_from": "2026-12-01",
        "valid_to": ""})
    assert response.status_code == 302
    family.refresh_from_db()
    assert family.quotient_on(datetime.date(2026, 12, 2)) == D("980")
    assert family.quotient_on(datetime.date(2026, 11, 30)) == D("850")
