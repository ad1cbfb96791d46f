"""Helpers driving the FranceConnect loop against ``live_server`` with ``requests`` (the portal's client talks to
the local provider over HTTP, as it would to FranceConnect)."""
import datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore

from families.tests.factories import PASSWORD, ChildFactory, FamilyFactory, GuardianFactory


class Browser:
    """A cookie jar and the few steps of the loop, each one inspectable (``allow_redirects=False``)."""

    def __init__(self, base):
        self.base = base
        self.http = requests.Session()

    def csrf(self):
        if "csrftoken" not in self.http.cookies:
            self.http.get(f"{self.base}/compte/login/")
        return self.http.cookies["csrftoken"]

    def login_with_password(self, email, password=PASSWORD):
        response = self.http.post(f"{self.base}/compte/login/", data={
            "csrfmiddlewaretoken": self.csrf(), "login": email, "password": password})
        assert response.ok
        return response

    def start(self, process="login"):
        """Press the FranceConnect button: the redirect to the provider's authorize endpoint."""
        response = self.http.post(f"{self.base}/compte/franceconnect/login/", data={
            "csrfmiddlewaretoken": self.csrf(), "process": process}, allow_redirects=False)
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]

    def choose(self, authorize_url, sub="demo-claire-martin"):
        """On the provider: show the identities, choose one; returns the callback URL (code and state)."""
        page = self.http.get(authorize_url)
        assert page.status_code == 200, page.text[:500]
        params = {k: v[0] for k, v in parse_qs(urlparse(authorize_url).query).items()}
        response = self.http.post(f"{self.base}/identite/fc-local/authorize", data={
            **params, "sub": sub, "csrfmiddlewaretoken": self.csrf()}, allow_redirects=False)
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]

    def finish(self, callback_url):
        return self.http.get(callback_url)

    def session(self):
        key = self.http.cookies.get("sessionid")
        return SessionStore(session_key=key) if key else {}

    def user_id(self):
        return self.session().get("_auth_user_id")


@pytest.fixture
def fc_browser(live_server, transactional_db):
    return Browser(live_server.url)


@pytest.fixture
def claire(transactional_db):
    """The guardian matching the local provider's first identity (Claire Hélène MARTIN, born 1986-04-12)."""
    family = FamilyFactory(name="MARTIN")
    guardian = GuardianFactory(family=family, first_name="Claire", last_name="Martin",
                               birth_date=datetime.date(1986, 4, 12), email="claire.martin@example.org")
    ChildFactory(family=family)
    return guardian
