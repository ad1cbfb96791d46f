"""« Mes demandes », « Mes enfants »: the days asked during a request phase, one request per phase and child, waiting
for the service until the result is published, then accepted (days given) or refused (all on the waiting list),
the outcomes counted in the note; the last month's plus every pending one, only the family's own, one query."""
import datetime

import pytest

from families.request_sources import ACCEPTED, PENDING, REFUSED
from families.selectors import family_requests
from families.tests.factories import parent_with_family
from opening import request_sources, services
from opening.models import PlaceRequest

from .factories import AFTER, DAYS, DURING, request_window
from .test_services import family_asking

pytestmark = pytest.mark.django_db
MONTH = datetime.timedelta(days=31)


def _publish(phase, outcomes, when=AFTER):
    """Give the requests of the phase the outcomes in date order, as a publication would."""
    for request, outcome in zip(PlaceRequest.objects.filter(phase=phase).order_by("date"), outcomes):
        PlaceRequest.objects.filter(pk=request.pk).update(outcome=outcome)
    phase.published_at = when
    phase.save(update_fields=["published_at"])


def test_days_asked_wait_for_the_publication_however_old():
    activity, group, (unit,), window, phase = request_window()
    user, family, (child,) = family_asking(activity, group, unit, DAYS[:3])
    (item,) = request_sources.opening_requests(family=family, since=DURING + 3 * MONTH)
    assert item.status == PENDING and item.status_words == "en attente de réponse du service"
    assert item.days == tuple(DAYS[:3]) and item.asked_at == DURING and item.decided_at is None
    assert item.child_name == child.first_name and item.title == f"{activity.parent_name} – Hiver 2026 (Journée)"
    assert item.note == "attribution annoncée le 16/01/2026 à 18h00"
    assert (item.url, item.link_text) == ("/ouverture/", "Voir l'attribution des places")


def test_one_request_per_child():
    activity, group, (unit,), window, phase = request_window()
    user, family, kids = family_asking(activity, group, unit, DAYS[:2], children=2)
    items = request_sources.opening_requests(family=family, since=DURING - MONTH)
    assert sorted(item.child_name for item in items) == sorted(child.first_name for child in kids)
    assert len({item.key for item in items}) == 2 and all(item.days == tuple(DAYS[:2]) for item in items)


def test_published_days_are_accepted_then_leave_the_list_after_a_month():
    activity, group, (unit,), window, phase = request_window(capacity=5)
    user, family, _ = family_asking(activity, group, unit, DAYS[:3])
    services.allocation_publish(phase=phase, now=AFTER, send_email=False)
    (item,) = request_sources.opening_requests(family=family, since=DURING - MONTH)
    assert (item.status, item.decided_at, item.note, item.refusal_reason) == (ACCEPTED, AFTER, "3 jours attribués", "")
    assert request_sources.opening_requests(family=family, since=AFTER + datetime.timedelta(seconds=1)) == []


def test_the_note_counts_each_outcome_and_all_waiting_is_refused():
    activity, group, (unit,), window, phase = request_window()
    user, family, (child,) = family_asking(activity, group, unit, DAYS[:5])
    _publish(phase, ["granted", "granted", "granted", "already", "waiting"])
    (item,) = request_sources.opening_requests(family=family, since=DURING - MONTH)
    assert item.status == ACCEPTED and item.note == "3 jours attribués, 1 jour déjà réservé, 1 sur liste d'attente"
    _publish(phase, ["waiting"] * 5)
    (item,) = request_sources.opening_requests(family=family, since=DURING - MONTH)
    assert item.status == REFUSED and item.note == "5 jours sur liste d'attente"
    assert item.refusal_reason == request_sources.WAITING_REASON and item.decided_at == AFTER


def test_only_the_familys_own_requests_and_the_filter():
    activity, group, (unit,), window, phase = request_window()
    user, family, (child,) = family_asking(activity, group, unit, DAYS[:1])
    other_user, other_family, (other_child,) = family_asking(activity, group, unit, DAYS[1:3])
    _, empty = parent_with_family()
    (mine,) = family_requests(family=family, kind="opening", now=DURING)["children"]
    (theirs,) = family_requests(family=other_family, kind="opening", now=DURING)["children"]
    assert (mine.child_name, mine.days) == (child.first_name, tuple(DAYS[:1]))
    assert (theirs.child_name, theirs.days) == (other_child.first_name, tuple(DAYS[1:3]))
    assert family_requests(family=empty, kind="opening", now=DURING)["children"] == []
    assert set(family_requests(family=family, kind="opening", now=DURING)) == {"children"}


@pytest.mark.parametrize("children", [1, 20])
def test_one_query_whatever_the_requests(children, django_assert_num_queries):
    activity, group, (unit,), window, phase = request_window()
    user, family, kids = family_asking(activity, group, unit, DAYS[:4], children=children)
    with django_assert_num_queries(1):
        items = request_sources.opening_requests(family=family, since=DURING - MONTH)
    assert len(items) == children and all(len(item.days) == 4 for item in items)
