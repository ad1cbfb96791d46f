"""portal.caching: configuration kept in each process, checked against one version every process shares."""
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.test import Client

from portal import caching
from portal.models import ConfigVersion, Organisation

pytestmark = pytest.mark.django_db


def _org_name(**kwargs):
    return caching.cached_config("test-org-name", lambda: Organisation.objects.get_or_create(pk=1)[0].name,
                                 models=[Organisation], **kwargs)


def _edit_elsewhere(name):
    """What another server process's save does: the row and the version change in the database, and the
    shared cache's token is deleted."""
    Organisation.objects.filter(pk=1).update(name=name)  # no signal in this process
    ConfigVersion.objects.filter(pk=1).update(token="set-by-another-process")
    cache.delete(caching.TOKEN_KEY)


def test_a_save_is_seen_at_once_and_reads_cost_no_query(django_assert_num_queries):
    org = Organisation.current()
    org.name = "Mairie de Tournon"
    org.save()
    assert _org_name() == "Mairie de Tournon" and Organisation.current().name == "Mairie de Tournon"
    with django_assert_num_queries(0):
        assert _org_name() == "Mairie de Tournon"
        assert Organisation.current().name == "Mairie de Tournon"
    org.name = "Mairie d'Annonay"
    org.save()
    assert _org_name() == "Mairie d'Annonay" and Organisation.current().name == "Mairie d'Annonay"


def test_current_gives_a_copy_the_caller_may_change():
    first = Organisation.current()
    first.name = "Changed but not saved"
    assert Organisation.current().name != "Changed but not saved"


def test_another_processs_edit_shows_on_the_next_read():
    assert _org_name() == Organisation.current().name
    _edit_elsewhere("Edited elsewhere")
    assert _org_name() == "Edited elsewhere"


def test_a_verified_read_sees_the_database_even_with_a_stale_shared_token(django_assert_num_queries):
    Organisation.current()  # the row exists (its creation changed the version)
    assert _org_name() == Organisation.current().name
    stale = cache.get(caching.TOKEN_KEY)
    _edit_elsewhere("Edited elsewhere")
    cache.set(caching.TOKEN_KEY, stale, caching.TOKEN_TTL)  # the other process's cache delete was lost
    assert _org_name() != "Edited elsewhere"  # a page may be stale for TOKEN_TTL seconds at most…
    with django_assert_num_queries(2):  # the version, then the rebuild
        assert _org_name(verified=True) == "Edited elsewhere"  # …a decision never is
    cache.delete(caching.TOKEN_KEY)  # what TOKEN_TTL's expiry does
    assert _org_name() == "Edited elsewhere"


def test_the_token_is_read_once_per_request(parent_client, monkeypatch):
    assert parent_client.get("/").status_code == 200  # the first request creates the organisation row
    reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: (reads.append(key), real_get(key, *a, **k))[1])
    assert parent_client.get("/").status_code == 200
    assert reads.count(caching.TOKEN_KEY) == 1


def test_without_the_shared_cache_every_read_asks_the_database(monkeypatch):
    """Redis down (django-redis ignores the error: every get is a miss, every write is lost): slower, correct."""
    monkeypatch.setattr(cache, "get", lambda *a, **k: None)
    monkeypatch.setattr(cache, "add", lambda *a, **k: False)
    monkeypatch.setattr(cache, "delete", lambda *a, **k: False)
    assert _org_name() == Organisation.current().name
    _edit_elsewhere("Edited during the outage")
    assert _org_name() == "Edited during the outage"
    org = Organisation.current()
    org.name = "Saved during the outage"
    org.save()
    assert _org_name() == "Saved during the outage"
    assert Client().get("/compte/login/").status_code == 200


def test_every_cached_configuration_model_is_watched_from_startup():
    """A process that never read a configuration (one serving only the admin) must still change the version
    when it edits it: the models are watched by the apps' ready(), not on first read."""
    code = ("import django; django.setup(); from portal import caching; "
            "print(' '.join(sorted(m._meta.label for m in caching._watched)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"})
    watched = set(done.stdout.split())
    assert {"portal.Organisation", "documents.DocumentType", "documents.RenewalCampaign", "news.NewsPost",
            "enrolment.Activity", "enrolment.Unit", "enrolment.ClosureDay", "enrolment.CapacityOverride"} <= watched, done.stderr
