"""Bad input and hostile clients (issue 15): NUL bytes, the public payment notification endpoint, login
throttling behind a reverse proxy, the database gone during a request, the Content-Security-Policy."""
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.db import OperationalError

from billing.models import PaymentNotification
from billing.services.payments import online_payment_notify
from billing.views import NOTIFY_LIMIT_PER_MINUTE
from families.tests.factories import PASSWORD, parent_with_family
from portal.ratelimit import client_ip

pytestmark = pytest.mark.django_db

NOTIFY = "/facturation/paiement/notification/fake/"
FORM = "application/x-www-form-urlencoded"


# --- NUL bytes -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/inscriptions/agenda/%00.ics", "/facturation/paiement-demonstration/%00/",
    "/facturation/paiement/retour/%00/", "/facturation/paiement/notification/fa%00ke/", "/?q=%00",
])
def test_nul_byte_in_the_address_is_a_french_400(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "Demande incorrecte" in response.content.decode()


def test_nul_byte_in_a_notification_body_is_a_400_logged_escaped(client):
    """It used to be a 500 (PostgreSQL refuses NUL in text): now a rejected notification, NUL shown as \\x00."""
    for body in ("idOp=abc\x00def", "idOp=abc%00def"):
        response = client.post(NOTIFY, data=body, content_type=FORM)
        assert response.status_code == 400
    raws = list(PaymentNotification.objects.order_by("pk").values_list("raw", "outcome"))
    assert raws == [("idOp=abc\\x00def", "rejected"), ("idOp=abc%00def", "rejected")]


def test_nul_byte_in_a_login_form_is_a_400(client):
    response = client.post("/compte/login/", {"login": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400


def test_nul_bytes_reaching_the_service_are_stored_escaped():
    """Defence in depth: a caller that skips the middleware (a task, a script) cannot make a 500 either."""
    note = online_payment_notify(provider="fa\x00ke", body=b"idOp=abc\x00def", remote_addr="192.0.2.1")
    assert note.outcome == "rejected"
    assert "\x00" not in note.raw + note.provider and "\\x00" in note.raw


def test_week_view_with_a_twenty_digit_year_is_a_404(client):
    user, _family = parent_with_family()
    client.force_login(user)
    session = client.session
    session.pop("consents_pending", None)
    session.save()
    response = client.get("/inscriptions/planning/1/semaine/99999999999999999999/1/1/")
    assert response.status_code == 404


# --- The public payment notification endpoint ------------------------------------------------------

def test_notification_raw_body_is_truncated(client):
    response = client.post(NOTIFY, data="idOp=" + "x" * 9000, content_type=FORM)
    assert response.status_code == 400
    note = PaymentNotification.objects.get()
    assert len(note.raw) <= 2000


def test_repeated_rejections_from_one_source_are_summarised(client):
    for i in range(25):
        assert client.post(NOTIFY, data=f"idOp=inconnu{i}", content_type=FORM).status_code == 400
    rows = list(PaymentNotification.objects.order_by("pk"))
    assert len(rows) == 11  # ten kept one by one, then one summary row
    assert rows[-1].reason.startswith("Résumé : 15 autre(s) notification(s) rejetée(s) de cette adresse")
    assert "inconnu24" in rows[-1].reason
    # another source is counted on its own
    client.post(NOTIFY, data="idOp=autre", content_type=FORM, REMOTE_ADDR="198.51.100.7")
    assert PaymentNotification.objects.filter(remote_addr="198.51.100.7").count() == 1


def test_notifications_are_rate_limited_per_source(client, django_assert_max_num_queries):
    for i in range(NOTIFY_LIMIT_PER_MINUTE):
        client.post(NOTIFY, data=f"idOp=inconnu{i}", content_type=FORM)
    with django_assert_max_num_queries(0):
        response = client.post(NOTIFY, data="idOp=encore", content_type=FORM)
    assert response.status_code == 429 and response["Retry-After"] == "60"
    # another address still gets through
    assert client.post(NOTIFY, data="idOp=autre", content_type=FORM, REMOTE_ADDR="198.51.100.8").status_code == 400


# --- Login throttling behind a reverse proxy -------------------------------------------------------

@pytest.fixture
def behind_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    return settings


def _login(client, email, password, ip):
    return client.post("/compte/login/", {"login": email, "password": password},
                       REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"{ip}")


def test_one_parent_s_wrong_passwords_do_not_lock_out_another_parent_behind_the_proxy(client, behind_proxy):
    victim, _ = parent_with_family(email="victime@example.org")
    attacker, _ = parent_with_family(email="distrait@example.org")
    for _ in range(6):
        _login(client, attacker.email, "Mauvais-Mot-1", "203.0.113.5")
    response = _login(client, victim.email, PASSWORD, "203.0.113.9")
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(victim.pk)


def test_the_client_address_comes_from_x_forwarded_for_through_the_trusted_proxy(rf, behind_proxy):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.5")
    assert client_ip(request) == "203.0.113.5"  # the address the trusted proxy saw, not the forgeable first one
    behind_proxy.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "10.0.0.2"


def test_a_household_s_typos_do_not_lock_out_another_account_on_the_same_address(client, behind_proxy):
    """Per account, 5 failures per 5 minutes; one address (a family, a school network) may fail more."""
    parents = [parent_with_family(email=f"parent{i}@example.org")[0] for i in range(4)]
    for user in parents[:3]:
        for _ in range(4):
            _login(client, user.email, "Mauvais-Mot-1", "203.0.113.20")
    response = _login(client, parents[3].email, PASSWORD, "203.0.113.20")
    assert response.status_code == 302


def test_the_account_limit_stays_five_failures(client, behind_proxy):
    user, _ = parent_with_family(email="cible@example.org")
    for i in range(5):
        _login(client, user.email, "Mauvais-Mot-1", f"203.0.113.{30 + i}")  # five different addresses
    response = _login(client, user.email, PASSWORD, "203.0.113.99")
    assert "Trop de tentatives de connexion" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_thirty_one_parents_can_log_in_within_a_minute_from_one_address(client, behind_proxy):
    users = [parent_with_family(email=f"p{i}@example.org")[0] for i in range(31)]
    for user in users:
        client.logout()
        assert _login(client, user.email, PASSWORD, "203.0.113.50").status_code == 302


# --- The database gone during a request -----------------------------------------------------------

def test_database_unreachable_is_a_french_503(client):
    client.raise_request_exception = False
    with mock.patch("families.home.family_for_user", side_effect=OperationalError("connection refused")):
        user, _ = parent_with_family()
        client.force_login(user)
        response = client.get("/")
    assert response.status_code == 503
    assert "Service momentanément indisponible" in response.content.decode()
    assert response["Retry-After"]


# --- Content-Security-Policy ----------------------------------------------------------------------

def test_parent_pages_have_form_action_self_and_no_unsafe_inline(client):
    policy = client.get("/compte/login/")["Content-Security-Policy"]
    assert "form-action 'self'" in policy and "unsafe-inline" not in policy


@pytest.mark.parametrize("url", [
    "/admin/", "/admin/portal/outboundemail/", "/admin/families/family/", "/admin/families/family/add/",
    "/admin/enrolment/booking/", "/admin/billing/invoice/", "/admin/login/",
])
def test_admin_has_its_own_strict_policy(admin_client, url):
    policy = admin_client.get(url)["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy and "form-action 'self'" in policy and "frame-ancestors 'none'" in policy


def test_no_style_attribute_left_in_page_templates():
    pages = [p for p in (Path(settings.BASE_DIR) / "templates").rglob("*.html")
             if not {"emails", "email", "pdf"} & set(p.parts) and p.name not in ("certificate.html", "gdpr_summary.html")]
    offenders = [str(p) for p in pages if 'style="' in p.read_text()]
    assert not offenders
