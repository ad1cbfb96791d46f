"""The « Mes demandes » registry: sources registered by the apps above families, grouped in « Mon dossier » and
« Mes enfants », the filter's choices, and the family file's own source (window of a month, pending always)."""
import datetime

import pytest
from django.utils import timezone

from families import request_sources, selectors, services
from families.models import ChangeRequest
from families.request_sources import CHILDREN, DOSSIER, PENDING, REFUSED, RequestItem

from .factories import StaffFactory, parent_with_family

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=datetime.timezone.utc)


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry, so a source added by a test does not outlive it."""
    monkeypatch.setattr(request_sources, "_sources", dict(request_sources._sources))
    return request_sources


def _item(key, asked, status=PENDING):
    return RequestItem(key=key, kind_label="Essai", title=key, asked_at=asked, status=status)


def test_every_source_in_its_section_newest_first(registry):
    calls = []

    def source(*, family, since, kind):
        calls.append((family, since, kind))
        return [_item("old", NOW - datetime.timedelta(days=3)), _item("new", NOW)]

    registry.register_request_source("trial", "Essais", source)
    _, family = parent_with_family()
    sections = registry.family_request_list(family=family, since=NOW, kind=None)
    assert list(sections) == [DOSSIER, CHILDREN]
    assert [item.key for item in sections[CHILDREN] if item.kind_label == "Essai"] == ["new", "old"]
    assert calls == [(family, NOW, None)]
    # Filtered on the source's own kind: only its section, and the source is told the kind.
    assert list(registry.family_request_list(family=family, since=NOW, kind="trial")) == [CHILDREN]
    assert calls[-1] == (family, NOW, "trial")
    # Filtered on a kind of the family file: the source is not asked.
    registry.family_request_list(family=family, since=NOW, kind="guardian")
    assert len(calls) == 2


def test_filter_choices_are_grouped_by_section(registry):
    registry.register_request_source("trial", "Essais", lambda **kw: [])
    choices = registry.filter_choices()
    assert choices[0] == ("", "Toutes les demandes")
    groups = dict(choices[1:])
    assert ("guardian", "Responsable légal") in groups["Mon dossier"]
    assert ("trial", "Essais") in groups["Mes enfants"]
    assert ("bookings", "Réservations") in groups["Mes enfants"] and ("absences", "Absences") in groups["Mes enfants"]


def test_an_unknown_section_is_refused(registry):
    with pytest.raises(ValueError):
        registry.register_request_source("trial", "Essais", lambda **kw: [], section="elsewhere")


def test_status_in_a_parents_words():
    assert _item("a", NOW).status_words == "en attente de réponse du service"
    assert _item("a", NOW, status=REFUSED).status_words == "refusée"


def test_change_requests_of_the_month_pending_and_recently_decided():
    user, family = parent_with_family()
    other_user, other_family = parent_with_family()
    old = timezone.now() - datetime.timedelta(days=60)
    pending_old = services.change_request_create(family=family, user=user, kind="family", data={"city": "A"}, now=old)
    decided_late = services.change_request_create(family=family, user=user, kind="family", data={"city": "B"},
                                                  now=old)
    services.change_request_refuse(request=decided_late, by=StaffFactory(), reason="Justificatif manquant")
    forgotten = services.change_request_create(family=family, user=user, kind="family", data={"city": "C"}, now=old)
    ChangeRequest.objects.filter(pk=forgotten.pk).update(status="accepted", decided_at=old)
    services.change_request_create(family=other_family, user=other_user, kind="family", data={"city": "D"})
    since = timezone.now() - datetime.timedelta(days=31)
    items = {item.key: item for item in selectors.family_change_requests(family=family, since=since)}
    assert set(items) == {f"cr-{pending_old.pk}", f"cr-{decided_late.pk}"}
    refused = items[f"cr-{decided_late.pk}"]
    assert (refused.status, refused.refusal_reason) == (REFUSED, "Justificatif manquant")
    assert refused.changes[0][2] == "B"
    assert selectors.family_change_requests(family=family, since=since, kind="guardian") == []
