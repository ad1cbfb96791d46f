"""An opening morning that holds (issue 17): Argon2id logins that upgrade older hashes, « Rester connecté »,
rate limits sized for a town behind a trusted proxy, and the « salle d'attente » in front of the booking pages."""
import datetime
import time

import pytest
import time_machine
from allauth.account import app_settings as allauth_account_settings
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher, identify_hasher
from django.test import RequestFactory

import portal.settings as production
from families.tests.factories import PASSWORD, parent_with_family
from portal import waiting_room
from portal.ratelimit import client_ip
from portal.session import EXPIRES_KEY

PRODUCTION_HASHERS = production.PASSWORD_HASHERS


@pytest.fixture
def production_hashers(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS


def _login(client, email, password=PASSWORD, **extra):
    return client.post("/compte/login/", {"login": email, "password": password, **extra})


# --- Argon2id ------------------------------------------------------------------------------------------


def test_production_hashes_with_argon2id_at_the_owasp_minimum(production_hashers, db):
    user, _ = parent_with_family()
    user.set_password("Bonjour-Portail-43")
    algorithm, variant, version, params, *_ = user.password.split("$")
    assert (algorithm, variant, params) == ("argon2", "argon2id", "m=19456,t=2,p=1")
    assert identify_hasher(user.password).__class__.__name__ == "PortalArgon2PasswordHasher"
    assert user.check_password("Bonjour-Portail-43") and not user.check_password("Bonjour-Portail-44")


def test_a_pbkdf2_hash_still_logs_in_and_is_upgraded_to_argon2id(production_hashers, client, db):
    user, family = parent_with_family()
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])

    response = _login(client, user.email)
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    # The session survives its own upgrade, and the new hash logs in again.
    assert family.number in client.get("/famille/").content.decode()
    client.logout()
    assert _login(client, user.email).status_code == 302
    assert _login(client.__class__(), user.email, "Mauvais-Mot-1").status_code == 200


# --- « Rester connecté » -----------------------------------------------------------------------------------


def test_login_page_offers_to_stay_logged_in(client, db):
    body = client.get("/compte/login/").content.decode()
    assert "Rester connecté sur cet appareil (30 jours)" in body
    assert "À ne pas cocher sur un ordinateur partagé." in body


def test_ticked_the_session_lasts_30_days_on_that_device(client, db):
    user, _ = parent_with_family()
    assert _login(client, user.email, remember="on").status_code == 302
    assert client.session.get_expiry_age() == 30 * 24 * 3600
    assert not client.session.get_expire_at_browser_close()
    assert client.cookies["sessionid"]["max-age"] == 30 * 24 * 3600
    # The page's session warning (portal/session.py) announces the same end, not the default 8 hours.
    assert abs(client.session[EXPIRES_KEY] - (time.time() + 30 * 24 * 3600)) < 60
    # A month later minus a day the parent is still logged in; after 30 days, no longer.
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=29)):
        assert client.get("/famille/").status_code == 200
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=31)):
        assert client.get("/famille/").status_code == 302


def test_unticked_the_session_ends_with_the_browser(client, db):
    user, _ = parent_with_family()
    assert _login(client, user.email).status_code == 302
    assert client.session.get_expire_at_browser_close()
    assert not client.cookies["sessionid"]["max-age"] and not client.cookies["sessionid"]["expires"]
    assert abs(client.session[EXPIRES_KEY] - (time.time() + 8 * 3600)) < 60
    # The server forgets it after SESSION_COOKIE_AGE (8 hours) even if the browser stays open.
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=9)):
        assert client.get("/famille/").status_code == 302


# --- Rate limits -------------------------------------------------------------------------------------------


def test_every_allauth_rate_limit_is_set_by_the_portal():
    """No allauth default left unreviewed: each of allauth's actions has its value in settings."""
    defaults = set(allauth_account_settings.RATE_LIMITS)
    assert defaults <= set(settings.ACCOUNT_RATE_LIMITS), defaults - set(settings.ACCOUNT_RATE_LIMITS)


def test_behind_the_proxy_the_client_address_is_the_forwarded_one(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"  # what the proxy saw; the client's own claim is ignored


def test_sixty_parents_behind_one_address_log_in_within_a_minute_but_not_six_wrong_passwords(client, settings, db):
    """A school or town-hall NAT: every parent reaches the proxy from 203.0.113.7."""
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    behind_nat = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    parents = [parent_with_family(children=0)[0] for _ in range(60)]
    for user in parents:
        browser = client.__class__()
        response = browser.post("/compte/login/", {"login": user.email, "password": PASSWORD}, **behind_nat)
        assert response.status_code == 302, (user.email, response.status_code)
        assert browser.session["_auth_user_id"] == str(user.pk)

    target = parents[0]
    browser = client.__class__()
    for _ in range(5):
        response = browser.post("/compte/login/", {"login": target.email, "password": "Mauvais-Mot-1"}, **behind_nat)
        assert response.status_code == 200 and "incorrects" in response.content.decode()
    response = browser.post("/compte/login/", {"login": target.email, "password": PASSWORD}, **behind_nat)
    assert response.status_code in (200, 429) and "Trop de tentatives de connexion" in response.content.decode()
    assert "_auth_user_id" not in browser.session
    # The neighbours behind the same address are not locked out.
    other = client.__class__()
    assert other.post("/compte/login/", {"login": parents[1].email, "password": PASSWORD},
                      **behind_nat).status_code == 302


# --- Salle d'attente ---------------------------------------------------------------------------------------


@pytest.fixture
def limit_two(settings):
    settings.WAITING_ROOM_LIMIT = 2
    settings.WAITING_ROOM_RETRY_SECONDS = 5
    return 2


def _fill(limit, seconds=60):
    return [waiting_room.slot_acquire(limit=limit, seconds=seconds) for _ in range(limit)]


def test_over_the_limit_a_booking_page_answers_the_french_waiting_room(parent_client, limit_two,
                                                                        django_assert_num_queries):
    held = _fill(limit_two)
    assert None not in held
    with django_assert_num_queries(0):
        response = parent_client.get("/inscriptions/?mois=2")
    body = response.content.decode()
    assert response.status_code == 503
    assert 5 <= int(response["Retry-After"]) <= 10
    assert response["Cache-Control"] == "no-store" and "script-src 'self'" in response["Content-Security-Policy"]
    assert "Salle d'attente" in body and "se rouvre toute seule" in body and '<html lang="fr">' in body
    assert 'href="/inscriptions/?mois=2"' in body and "waiting_room.js" in body and "<noscript>" in body
    # Once a slot is free the page is served, and its slot is given back after the response.
    waiting_room.slot_release(*held[0])
    assert parent_client.get("/inscriptions/").status_code == 200
    assert waiting_room.slots_taken(limit=limit_two) == 1


def test_a_login_sent_while_full_is_not_lost_silently(client, limit_two, db):
    user, _ = parent_with_family()
    _fill(limit_two)
    assert client.get("/compte/login/").status_code == 200  # the form itself is not gated
    response = _login(client, user.email)
    body = response.content.decode()
    assert response.status_code == 503 and "saisir à nouveau votre mot de passe" in body
    assert 'href="/compte/login/"' in body  # the retry opens the form; a password is never re-sent by itself
    assert "_auth_user_id" not in client.session
    assert client.get("/famille/").status_code == 302  # other pages are not gated


def test_a_commit_sent_while_full_keeps_the_basket(parent_client, limit_two):
    _fill(limit_two)
    response = parent_client.post("/inscriptions/panier/", {"action": "commit"})
    assert response.status_code == 503
    assert "vos choix restent dans votre panier" in response.content.decode()


def test_slots_expire_when_their_process_died(parent_client, limit_two):
    _fill(limit_two, seconds=60)
    assert parent_client.get("/inscriptions/").status_code == 503
    with time_machine.travel(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=61)):
        assert parent_client.get("/inscriptions/").status_code == 200


def test_the_slot_is_freed_when_the_view_fails(limit_two, db):
    def failing_view(request):
        raise RuntimeError("boom")

    middleware = waiting_room.WaitingRoomMiddleware(failing_view)
    with pytest.raises(RuntimeError):
        middleware(RequestFactory().get("/inscriptions/"))
    assert waiting_room.slots_taken(limit=limit_two) == 0


def test_off_by_default_and_other_pages_never_wait(parent_client, settings):
    assert settings.WAITING_ROOM_LIMIT == 0
    assert parent_client.get("/inscriptions/").status_code == 200
    settings.WAITING_ROOM_LIMIT = 1
    _fill(1)
    assert parent_client.get("/famille/").status_code == 200
    assert parent_client.get("/inscriptions/").status_code == 503


def test_with_the_shared_cache_down_requests_go_through(parent_client, limit_two, settings):
    settings.CACHES = {"default": {
        "BACKEND": "portal.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
    }}
    assert waiting_room.slot_acquire(limit=limit_two, seconds=60) is not None
    for _ in range(limit_two + 1):
        assert parent_client.get("/inscriptions/").status_code == 200
