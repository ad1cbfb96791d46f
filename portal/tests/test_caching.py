import threading

import pytest
from django.core.cache import cache

from portal import caching
from portal.models import Organisation

pytestmark = pytest.mark.django_db


def _org_name():
    return caching.cached_config("test-org-name", lambda: Organisation.objects.get_or_create(pk=1)[0].name,
                                 models=[Organisation])


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


def test_another_workers_edit_shows_within_the_token_delay(monkeypatch):
    assert _org_name() == Organisation.current().name
    Organisation.objects.filter(pk=1).update(name="Edited elsewhere")  # no signal in this process
    cache.set(caching.TOKEN_KEY, "token-set-by-another-worker", None)  # what that worker's save does
    assert _org_name() != "Edited elsewhere"  # still trusted for TOKEN_TTL
    monkeypatch.setattr(caching, "TOKEN_TTL", 0)
    assert _org_name() == "Edited elsewhere"


def test_other_threads_of_the_process_see_a_change_at_once():
    seen = []
    reader = threading.Thread(target=lambda: seen.append(caching._token()))
    reader.start()
    reader.join()
    org = Organisation.current()
    org.name = "Nouveau nom"
    org.save()
    again = threading.Thread(target=lambda: seen.append(caching._token()))
    again.start()
    again.join()
    assert seen[0] != seen[1]


def test_every_cached_configuration_model_is_watched_from_startup():
    """A worker that never read a configuration (one serving only the admin) must still tell the others
    when it edits it: the models are watched by the apps' ready(), not on first read."""
    import os
    import subprocess
    import sys

    code = ("import django; django.setup(); from portal import caching; "
            "print(' '.join(sorted(m._meta.label for m in caching._watched)))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"})
    watched = set(done.stdout.split())
    assert {"portal.Organisation", "families.DocumentType", "families.RenewalCampaign", "news.NewsPost",
            "enrolment.Activity", "enrolment.Unit", "enrolment.ClosureDay", "enrolment.CapacityOverride"} <= watched, done.stderr
