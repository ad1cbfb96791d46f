"""portal.sessions: cached_db sessions whose update is one UPDATE statement."""
import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.sessions import SessionStore

pytestmark = pytest.mark.django_db


def _from_database(key):
    return SessionStore().decode(Session.objects.get(session_key=key).session_data)


def test_an_update_is_one_statement_and_reaches_database_and_cache():
    store = SessionStore()
    store["panier"] = ["1:2:2027-01-06"]
    store.create()
    key = store.session_key
    store["panier"] = ["1:2:2027-01-06", "1:2:2027-01-13"]
    with CaptureQueriesContext(connection) as queries:
        store.save()
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["UPDATE"]
    assert _from_database(key)["panier"] == ["1:2:2027-01-06", "1:2:2027-01-13"]
    assert SessionStore(key).load()["panier"] == ["1:2:2027-01-06", "1:2:2027-01-13"]  # from the cache
    caches["default"].clear()
    assert SessionStore(key).load()["panier"] == ["1:2:2027-01-06", "1:2:2027-01-13"]  # from the database


def test_saving_a_session_deleted_meanwhile_fails_as_djangos_does():
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).delete()
    store["x"] = 2
    with pytest.raises(UpdateError):
        store.save()


def test_login_and_basket_through_the_site(client, parent):
    user, _ = parent
    client.force_login(user)
    key = client.session.session_key
    response = client.get("/")
    assert response.status_code == 200
    session = client.session
    assert isinstance(session, SessionStore)  # settings.SESSION_ENGINE
    session["essai"] = "valeur"
    session.save()
    assert _from_database(key)["essai"] == "valeur"
