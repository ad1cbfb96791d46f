"""Parent and staff pages of the fair opening: scoped to the family, bounded queries, staff only; the
Celery wrappers and the re-run command."""
import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from enrolment import loaders
from enrolment.models import Booking
from families.tests.factories import StaffFactory
from opening import services, tasks
from opening.models import AllocationRun, FamilyOutcome, PlaceRequest
from portal.models import Organisation

from .factories import AFTER, DAYS, DURING, request_window
from .test_services import _publish_setup, family_asking

pytestmark = pytest.mark.django_db


def _published(families=3):
    activity, group, unit, window, phase, fams = _publish_setup(capacity=2, families=families)
    with time_machine.travel(AFTER, tick=False):
        tasks.publish(phase.pk)
    return activity, group, unit, window, phase, fams


def test_tasks_are_idempotent_and_the_command_re_runs_from_the_seed():
    activity, group, unit, window, phase, fams = _publish_setup(capacity=2, families=3)
    with time_machine.travel(AFTER, tick=False):
        dry = AllocationRun.objects.get(pk=tasks.simulate(phase.pk))
        first = tasks.publish(phase.pk)
        assert tasks.publish(phase.pk) == first
    assert Booking.objects.count() == 4
    out = io.StringIO()
    call_command("allocation_run", str(phase.pk), stdout=out)  # after publication: nothing left to allocate
    assert "0 demande(s)" in out.getvalue()
    assert AllocationRun.objects.get(pk=first).digest == dry.digest


@pytest.mark.parametrize("families", [2, 30])
def test_parent_pages_scoped_and_bounded(client, django_assert_max_num_queries, families):
    activity, group, unit, window, phase, fams = _published(families)
    user, family, kids = fams[0]
    other_user, other_family, _ = fams[1]
    client.force_login(user)
    Organisation.current()
    loaders.catalogue()
    with django_assert_max_num_queries(7):
        response = client.get(reverse("opening:index"))
    assert response.status_code == 200 and "Voir mon résultat" in response.content.decode()
    with django_assert_max_num_queries(8):
        response = client.get(reverse("opening:result", args=[phase.pk]))
    page = response.content.decode()
    outcome = FamilyOutcome.objects.get(family=family)
    assert f"Rang <strong>{outcome.rank}</strong> sur {families}" in page
    # The same URL shows the logged-in family's own result, never another's.
    client.force_login(other_user)
    page = client.get(reverse("opening:result", args=[phase.pk])).content.decode()
    other = FamilyOutcome.objects.get(family=other_family)
    assert f"Rang <strong>{other.rank}</strong>" in page and other.draw in page and outcome.draw not in page
    assert client.get(reverse("opening:result", args=[phase.pk + 1000])).status_code == 404


def test_request_phase_page_shows_rules_and_seed(client):
    activity, group, (unit,), window, phase = request_window()
    user, family, kids = family_asking(activity, group, unit, [])
    client.force_login(user)
    with time_machine.travel(DURING, tick=False):
        page = client.get(reverse("opening:index")).content.decode()
    assert phase.seed in page and "Résidence dans une commune membre" in page
    assert "Faire mes demandes au planning" in page


def test_month_page_shows_the_phase_and_bounded_queries(client, django_assert_max_num_queries):
    activity, group, (unit,), window, phase = request_window()
    user, family, (child,) = family_asking(activity, group, unit, DAYS[:2])
    client.force_login(user)
    enrolment = child.enrolments.get()
    Organisation.current()
    loaders.catalogue()
    url = reverse("enrolment:month", args=[enrolment.pk, 2026, 2])
    with time_machine.travel(DURING, tick=False):
        client.get(url)
        with django_assert_max_num_queries(7):
            page = client.get(url).content.decode()
    assert "Hiver 2026 : phase de demandes." in page
    assert "Demande enregistrée — attribution le 16/01 à 18 h" in page


def test_staff_pages_are_staff_only_and_publish_needs_confirmation(client, django_capture_on_commit_callbacks):
    activity, group, unit, window, phase, fams = _publish_setup(capacity=2, families=2)
    user = fams[0][0]
    client.force_login(user)
    assert client.get(reverse("opening_staff:phase", args=[phase.pk])).status_code == 302  # to the admin login
    client.force_login(StaffFactory())
    assert client.get(reverse("opening_staff:index")).status_code == 200
    url = reverse("opening_staff:phase", args=[phase.pk])
    with time_machine.travel(DURING, tick=False):
        client.post(url, {"action": "publier", "confirmer": "1"})  # the phase is still open
    assert not Booking.objects.exists()
    with time_machine.travel(AFTER, tick=False):
        client.post(url, {"action": "publier"})  # not confirmed
        assert not Booking.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"action": "simuler"})
        assert AllocationRun.objects.filter(kind="dry_run").count() == 1
        with django_capture_on_commit_callbacks(execute=True):
            client.post(url, {"action": "publier", "confirmer": "1"})
    assert Booking.objects.count() == 4
    assert PlaceRequest.objects.filter(outcome="waiting").count() == 0  # two families, two places a day
    page = client.get(url).content.decode()
    assert "Attribution publiée le" in page
    assert client.post(reverse("opening_staff:index"), {"window": "x"}).status_code == 404


def test_home_block_during_the_phase_and_after_publication_one_query(client, django_assert_max_num_queries):
    activity, group, (unit,), window, phase = request_window(capacity=1)
    user, family, (child,) = family_asking(activity, group, unit, DAYS[:1])
    client.force_login(user)
    with time_machine.travel(AFTER - datetime.timedelta(days=30), tick=False):  # before the phase
        client.get("/")
        with django_assert_max_num_queries(22) as before:
            page = client.get("/").content.decode()
        assert "Attribution des places" not in page
        # Nothing open, nothing published: the opening counters cost no SQL (portal.dashboard's ``active``),
        # and the other counters of the page are the family's counter rows: no counting query at all.
        assert not any("COUNT(*)" in q["sql"] for q in before.captured_queries)
    with time_machine.travel(DURING, tick=False):
        # During the phase, the two opening counters take one query together.
        with django_assert_max_num_queries(len(before.captured_queries) + 1) as during:
            page = client.get("/").content.decode()
        assert "Une phase de demandes est ouverte" in page
        assert any("enrolment_bookingwindow" in q["sql"] and "COUNT(*)" in q["sql"] for q in during.captured_queries)
    services.allocation_publish(phase=phase, now=AFTER)
    with time_machine.travel(AFTER + datetime.timedelta(days=1), tick=False):
        page = client.get("/").content.decode()
    assert "Le résultat de l'attribution est publié." in page and reverse("opening:index") in page


def test_publish_refused_when_staff_switched_the_window_back_to_first_come(client):
    activity, group, unit, window, phase, fams = _publish_setup(capacity=2, families=1)
    window.opening_mode = "first_come"
    window.requests_open_at = window.requests_close_at = window.results_at = None
    window.save()
    client.force_login(StaffFactory())
    url = reverse("opening_staff:phase", args=[phase.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"action": "publier", "confirmer": "1"}, follow=True)
    assert "pas en mode « phase de demandes »" in response.content.decode()
    with pytest.raises(services.DomainError):
        services.allocation_publish(phase=phase, now=AFTER)
    assert not Booking.objects.exists()
