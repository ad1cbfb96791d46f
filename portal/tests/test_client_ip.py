"""The client address behind the trusted proxies (allauth's adapter, used by the login limits and ours)."""
import pytest
from allauth.account.adapter import get_adapter
from django.test import RequestFactory


@pytest.mark.parametrize("xff, expected", [
    ("203.0.113.7, 10.0.0.2", "203.0.113.7"),  # client, then the first proxy: the second proxy connects
    ("10.0.0.2", "192.0.2.1"),  # too short for two proxies: forged or misrouted, the connecting address counts
])
def test_client_ip_behind_two_trusted_proxies(settings, xff, expected):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=xff, REMOTE_ADDR="192.0.2.1")
    assert get_adapter(request).get_client_ip(request) == expected


@pytest.mark.django_db
def test_a_short_forwarded_header_never_answers_500_on_login(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    response = client.post("/compte/login/", {"login": "x@example.org", "password": "faux"},
                           HTTP_X_FORWARDED_FOR="10.0.0.2")
    assert response.status_code == 200
    assert "adresse e-mail" in response.content.decode().lower() or "mot de passe" in response.content.decode().lower()
