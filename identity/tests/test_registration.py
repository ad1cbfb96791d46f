"""Families who sign up themselves: signup with e-mail confirmation, the request, the gate until staff decide,
and staff's accept / refuse / merge in the admin."""
import datetime
import html

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from families.models import Family, Guardian
from families.tests.factories import PASSWORD, ChildFactory, FamilyFactory, GuardianFactory
from identity.models import IdentitySettings, RegistrationMessage, RegistrationRequest
from portal.models import OutboundEmail


def _text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def open_registration(db):
    return IdentitySettings.objects.create(self_registration=True)


def _form_data(**overrides):
    data = {
        "responsable1-civility": "Mme", "responsable1-first_name": "Camille", "responsable1-last_name": "Durand",
        "responsable1-birth_date": "1990-02-17", "responsable1-relationship": "mother",
        "responsable1-mobile_phone": "06 11 22 33 44", "responsable1-email": "camille@example.org",
        "famille-situation": "single", "famille-address_line1": "3 rue Neuve", "famille-postcode": "07100",
        "famille-city": "Annonay", "famille-benefit_regime": "caf", "famille-benefit_number": "1234567",
        "enfant1-first_name": "Léo", "enfant1-last_name": "Durand", "enfant1-birth_date": "2018-03-02",
        "enfant1-sex": "M",
    }
    data.update(overrides)
    return data


def _signed_up(client, email="camille@example.org"):
    response = client.post("/compte/signup/", {"email": email, "password1": PASSWORD})
    assert response.status_code == 302, _text(response)[:2000]
    return get_user_model().objects.get(email=email)


def _verified(user):
    EmailAddress.objects.filter(user=user).update(verified=True)


def test_signup_is_closed_unless_the_organisation_opens_it(client, db):
    assert "Création de compte fermée" in _text(client.get("/compte/signup/"))
    assert "Créer mon compte" not in _text(client.get("/compte/login/"))


def test_signup_sends_a_confirmation_and_opens_a_draft_request(client, open_registration):
    assert "Créer mon compte" in _text(client.get("/compte/login/"))
    user = _signed_up(client)
    assert RegistrationRequest.objects.get(user=user).status == RegistrationRequest.Status.DRAFT
    assert OutboundEmail.objects.filter(to="camille@example.org").exists()
    assert user.username == "camille@example.org"
    page = client.get("/identite/ma-demande/")
    assert "Confirmez votre adresse e-mail" in _text(page)


def test_until_staff_validate_only_the_request_is_open(client, open_registration):
    _signed_up(client)
    for url in ("/famille/", "/inscriptions/", "/facturation/", "/messagerie/", "/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/identite/ma-demande/", url
    page = client.get("/famille/", follow=True)
    assert "pas encore validé par le service" in _text(page)
    assert client.get("/identite/franceconnect/").status_code == 200


def test_the_request_is_sent_only_once_the_email_is_confirmed(client, open_registration):
    user = _signed_up(client)
    page = client.post("/identite/ma-demande/", {**_form_data(), "envoyer": "1"}, follow=True)
    assert "Confirmez d'abord votre adresse e-mail" in _text(page)
    reg = RegistrationRequest.objects.get(user=user)
    assert reg.status == RegistrationRequest.Status.DRAFT and reg.data["children"][0]["first_name"] == "Léo"
    _verified(user)
    page = client.post("/identite/ma-demande/", {**_form_data(), "envoyer": "1"}, follow=True)
    assert "Votre demande est envoyée" in _text(page)
    reg.refresh_from_db()
    assert reg.status == RegistrationRequest.Status.SUBMITTED
    page = client.post("/identite/ma-demande/message/", {"body": "Mon fils entre en CP."}, follow=True)
    assert "Mon fils entre en CP." in _text(page)
    assert RegistrationMessage.objects.filter(request=reg, from_staff=False).count() == 1


def test_bad_input_keeps_what_was_typed(client, open_registration):
    _signed_up(client)
    page = client.post("/identite/ma-demande/", {**_form_data(**{"famille-postcode": "7100", "enfant1-sex": ""}),
                                                 "envoyer": "1"})
    text = _text(page)
    assert "Le code postal a 5 chiffres." in text and "sexe de l'enfant" in text
    assert 'value="3 rue Neuve"' in text


def _submitted(client):
    user = _signed_up(client)
    _verified(user)
    client.post("/identite/ma-demande/", {**_form_data(), "envoyer": "1"})
    return RegistrationRequest.objects.get(user=user)


def test_staff_accept_creates_the_family_and_the_parent_gets_in(client, admin_client, open_registration):
    reg = _submitted(client)
    page = admin_client.get(f"/admin/identity/registrationrequest/{reg.pk}/change/")
    assert "Accepter : créer la famille" in _text(page)
    admin_client.post(f"/admin/identity/registrationrequest/{reg.pk}/change/", {
        "refusal_reason": "", "merge_family_number": "", "_accept": "1",
        "messages-TOTAL_FORMS": "0", "messages-INITIAL_FORMS": "0"})
    reg.refresh_from_db()
    assert reg.status == RegistrationRequest.Status.ACCEPTED
    guardian = Guardian.objects.get(user=reg.user)
    assert guardian.family.name == "DURAND" and guardian.birth_date == datetime.date(1990, 2, 17)
    assert [c.first_name for c in guardian.family.children.all()] == ["Léo"]
    assert client.get("/famille/").status_code == 200


def test_staff_refuse_with_a_reason_the_parent_reads(client, admin_client, open_registration):
    reg = _submitted(client)
    url = f"/admin/identity/registrationrequest/{reg.pk}/change/"
    admin_client.post(url, {"refusal_reason": "", "_refuse": "1", "messages-TOTAL_FORMS": "0", "messages-INITIAL_FORMS": "0"})
    reg.refresh_from_db()
    assert reg.status == RegistrationRequest.Status.SUBMITTED  # no reason, no refusal
    admin_client.post(url, {"refusal_reason": "Vous n'habitez pas le territoire du syndicat.", "_refuse": "1",
                            "messages-TOTAL_FORMS": "0", "messages-INITIAL_FORMS": "0"})
    reg.refresh_from_db()
    assert reg.status == RegistrationRequest.Status.REFUSED
    assert "Vous n'habitez pas le territoire du syndicat." in _text(client.get("/identite/ma-demande/"))


def test_staff_merge_into_an_existing_family_without_duplicates(client, admin_client, open_registration):
    family = FamilyFactory(name="DURAND")
    GuardianFactory(family=family, first_name="Camille", last_name="DURAND", email="", user=None)
    ChildFactory(family=family, first_name="Léo", birth_date=datetime.date(2018, 3, 2))
    reg = _submitted(client)
    url = f"/admin/identity/registrationrequest/{reg.pk}/change/"
    page = _text(admin_client.get(url))
    assert "DURAND" in page and family.number in page  # suggested as a likely duplicate
    admin_client.post(url, {"refusal_reason": "", "merge_family_number": family.number, "_merge": "1",
                            "messages-TOTAL_FORMS": "0", "messages-INITIAL_FORMS": "0"})
    reg.refresh_from_db()
    assert reg.status == RegistrationRequest.Status.MERGED and reg.family == family
    assert Family.objects.filter(name="DURAND").count() == 1
    assert family.guardians.get(user=reg.user).first_name == "Camille"
    assert family.children.count() == 1


def test_signup_is_rate_limited(client, open_registration):
    statuses = [client.post("/compte/signup/", {"email": f"p{i}@example.org", "password1": PASSWORD}).status_code
                for i in range(7)]
    assert statuses[:5] == [302] * 5 and statuses[-1] == 429


def test_a_franceconnect_newcomer_signs_up_with_the_identity_pre_filled(fc_browser, transactional_db):
    IdentitySettings.objects.create(self_registration=True)
    page = fc_browser.finish(fc_browser.choose(fc_browser.start(), sub="demo-camille-durand"))
    assert "/compte/3rdparty/signup/" in page.url
    response = fc_browser.http.post(page.url, data={"csrfmiddlewaretoken": fc_browser.csrf(),
                                                    "email": "camille.durand@example.org"})
    assert response.url.endswith("/identite/ma-demande/"), response.url
    reg = RegistrationRequest.objects.get(user__email="camille.durand@example.org")
    assert reg.identity["birthdate"] == "1990-02-17"
    assert reg.data["guardians"][0]["last_name"] == "DURAND"
    assert 'value="1990-02-17"' in response.text


def test_the_request_page_runs_the_same_queries_with_few_or_many_messages(client, open_registration,
                                                                          django_assert_max_num_queries):

    reg = _submitted(client)
    client.get("/identite/ma-demande/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/identite/ma-demande/").status_code == 200
    RegistrationMessage.objects.bulk_create(
        RegistrationMessage(request=reg, author=reg.user, body=f"Message {i}", from_staff=i % 2 == 0) for i in range(150))
    with django_assert_max_num_queries(8):
        page = client.get("/identite/ma-demande/")
    assert "Message 149" in _text(page)
    with CaptureQueriesContext(connection) as many:
        client.get("/identite/ma-demande/")
    assert len(many) == len(few), (len(few), len(many))
