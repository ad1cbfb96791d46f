"""The counter row of unread messages (``Family.unread_messages``): every change of a message's read state,
every message from the service and every deletion or restoration of a thread by the family leave it equal to
the rule (``selectors.family_unread_messages``); the badge on every page reads it without a query."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from messaging import selectors, services
from messaging.models import Service

pytestmark = pytest.mark.django_db


def _counter(family):
    family.refresh_from_db(fields=["unread_messages"])
    assert family.unread_messages == selectors.family_unread_messages(family=family).count()
    return family.unread_messages


@pytest.fixture
def service():
    return Service.objects.get_or_create(name="Scolarité")[0]


def test_every_service_keeps_the_counter_equal_to_the_rule(parent, staff_user, service, other_family):
    user, family = parent
    thread = services.thread_start_by_family(family=family, guardian=user.guardian, user=user, service=service,
                                             theme="information", subject="Horaires", body="À quelle heure ?")
    assert _counter(family) == 0
    services.message_reply_by_staff(thread=thread, staff_user=staff_user, body="À 18 h 30.")
    services.message_reply_by_staff(thread=thread, staff_user=staff_user, body="Et le mercredi à 18 h.")
    assert _counter(family) == 2
    second = services.thread_start_by_staff(family=family, staff_user=staff_user, service=service,
                                            theme="information", subject="Sortie", body="Prévoir un goûter.")
    assert _counter(family) == 3
    services.thread_delete_for_family(thread=thread)
    assert _counter(family) == 1  # a deleted thread's messages no longer count
    services.thread_restore_for_family(thread=thread)
    assert _counter(family) == 3
    services.thread_mark_read(thread=thread, by_staff=False)
    assert _counter(family) == 1
    services.thread_delete_for_family(thread=second)
    services.message_reply_by_family(thread=second, guardian=user.guardian, user=user, body="Merci")
    assert _counter(family) == 1  # the reply brings the thread back, unread message included
    services.thread_mark_read(thread=second, by_staff=True)  # staff reading the family's reply: no change
    assert _counter(family) == 1
    assert _counter(other_family[1]) == 0


def test_the_badge_costs_no_query_and_reading_the_thread_clears_it_on_the_same_page(
    parent_client, parent, staff_user, service
):
    user, family = parent
    thread = services.thread_start_by_staff(family=family, staff_user=staff_user, service=service,
                                            theme="information", subject="Sortie", body="Prévoir un goûter.")
    parent_client.get(reverse("messaging:inbox"))
    with CaptureQueriesContext(connection) as with_badge:
        page = parent_client.get(reverse("messaging:inbox")).content.decode()
    assert "Vous avez <strong>1 message non lu</strong>" in page
    assert not any("messaging_message" in q["sql"] and "COUNT" in q["sql"] and "families_family" in q["sql"]
                   for q in with_badge.captured_queries)
    page = parent_client.get(reverse("messaging:thread", args=[thread.pk])).content.decode()
    assert "Prévoir un goûter." in page and "message non lu" not in page  # the badge of that very page
    assert _counter(family) == 0
