"""Parent pages: scoped to the family (another family's ids answer 404), bounded query counts."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from earlychildhood.models import Decision, PreEnrolment
from earlychildhood.services import commission, contracts

from .factories import nursery_make, pre_make, session_make

pytestmark = pytest.mark.django_db


def _pres(family, nursery, n):
    return [pre_make(family, nursery, criteria=["working", "resident"]) for _ in range(n)]


@pytest.mark.parametrize("n", [1, 12])
def test_index_queries_are_bounded(parent_client, parent, django_assert_max_num_queries, n):
    nursery, _ = nursery_make()
    _pres(parent[1], nursery, n)
    with django_assert_max_num_queries(16):
        response = parent_client.get(reverse("earlychildhood:index"))
    assert response.status_code == 200 and response.content.decode().count("Préinscription en attente") >= n
    with django_assert_max_num_queries(40):
        response = parent_client.get(reverse("enrolment:index"))
    assert "Préinscription en attente" in response.content.decode()


def test_another_familys_ids_answer_404(client, parent, other_family):
    nursery, section = nursery_make()
    pre = pre_make(other_family[1], nursery)
    session, spot = session_make(section)
    decision = commission.decision_record(session=session, pre=pre, kind=Decision.Kind.OFFER, places=spot)
    commission.session_hold(session=session)
    contract = commission.offer_answer(decision=decision, accept=True)
    client.force_login(parent[0])
    for url in (reverse("earlychildhood:request_edit", args=[pre.pk]), reverse("earlychildhood:birth", args=[pre.pk]),
                reverse("earlychildhood:offer", args=[decision.pk]),
                reverse("earlychildhood:contract", args=[contract.pk])):
        assert client.get(url).status_code == 404, url
    for url in (reverse("earlychildhood:confirm", args=[pre.pk]), reverse("earlychildhood:withdraw", args=[pre.pk]),
                reverse("earlychildhood:offer", args=[decision.pk])):
        assert client.post(url, {"answer": "decline"}).status_code == 404, url
    pre.refresh_from_db()
    assert pre.status == "accepted"


def test_bad_input_keeps_the_form_with_a_french_message(parent_client, parent):
    nursery_make()
    response = parent_client.post(reverse("earlychildhood:request"), {
        "child": "", "wished_start": "2000-01-01", "day_0": "on", "start_0": "18:00", "end_0": "08:00",
        "nursery_1": "", "dependent_children": "1", "disabled_children": "3",
    })
    assert response.status_code == 400
    body = response.content.decode()
    assert "le départ doit suivre" in body and "ne peut pas dépasser" in body


def test_staff_pages_refuse_parents(parent_client):
    response = parent_client.get("/personnel/petite-enfance/")
    assert response.status_code in (302, 403)


def test_staff_pages_render(client, staff_user, parent):
    nursery, section = nursery_make()
    pre = pre_make(parent[1], nursery)
    session, spot = session_make(section)
    client.force_login(staff_user)
    assert client.get(f"/personnel/petite-enfance/commission/{session.pk}/").status_code == 200
    assert client.get(f"/personnel/petite-enfance/presences/?nursery={nursery.pk}").status_code == 200
    assert client.get("/personnel/petite-enfance/facturation/").status_code == 200
    response = client.get(f"/personnel/petite-enfance/commission/{session.pk}/proces-verbal.pdf")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert pre.pk


@pytest.mark.parametrize("n", [1, 15])
def test_commission_page_queries_are_bounded(client, staff_user, parent, django_assert_max_num_queries, n):
    nursery, section = nursery_make()
    session, spot = session_make(section, places=20)
    for i, pre in enumerate(_pres(parent[1], nursery, n)):
        commission.decision_record(session=session, pre=pre, kind=Decision.Kind.OFFER if i % 2 else Decision.Kind.KEEP,
                                   places=spot)
    client.force_login(staff_user)
    with django_assert_max_num_queries(12):
        response = client.get(f"/personnel/petite-enfance/commission/{session.pk}/")
    assert response.status_code == 200 and response.content.decode().count("Enregistrer (demande") == n


@pytest.mark.parametrize("n", [1, 10])
def test_contract_page_queries_are_bounded(parent_client, parent, django_assert_max_num_queries, n):
    nursery, section = nursery_make()
    pre = pre_make(parent[1], nursery)
    session, spot = session_make(section, start=datetime.date(2025, 1, 1))
    decision = commission.decision_record(session=session, pre=pre, kind=Decision.Kind.OFFER, places=spot)
    commission.session_hold(session=session)
    contract = commission.offer_answer(decision=decision, accept=True)
    for m in range(n):
        contracts.contract_month_invoice(contract=contract, month=datetime.date(2025, 1 + m, 1))
    with django_assert_max_num_queries(8):
        response = parent_client.get(reverse("earlychildhood:contract", args=[contract.pk]))
    assert response.status_code == 200 and response.content.decode().count("PE-") >= n


def test_parent_updates_declares_the_birth_then_withdraws(parent_client, parent):
    user, family = parent
    nursery, _ = nursery_make()
    pre = pre_make(family, nursery, user=user)
    start = (timezone.localdate() + datetime.timedelta(days=200)).isoformat()
    response = parent_client.post(reverse("earlychildhood:request_edit", args=[pre.pk]), {
        "child": "", "expected_birth_date": pre.expected_birth_date.isoformat(), "expected_first_name": "Lou",
        "wished_start": start, "day_1": "on", "start_1": "09:00", "end_1": "16:00", "nursery_1": nursery.pk,
        "dependent_children": "2", "disabled_children": "0",
    })
    assert response.status_code == 302
    pre.refresh_from_db()
    assert pre.schedule == {"1": ["09:00", "16:00"]} and pre.expected_first_name == "Lou"
    born = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = parent_client.post(reverse("earlychildhood:birth", args=[pre.pk]), {
        "first_name": "Lou", "last_name": family.name, "birth_date": born, "sex": "F"})
    assert response.status_code == 302
    pre.refresh_from_db()
    assert pre.child.first_name == "Lou" and pre.child.family == family
    assert parent_client.get(reverse("earlychildhood:birth", args=[pre.pk])).status_code == 404  # done once
    parent_client.post(reverse("earlychildhood:withdraw", args=[pre.pk]))
    pre.refresh_from_db()
    assert pre.status == PreEnrolment.Status.WITHDRAWN
    labels = list(pre.events.values_list("label", flat=True))
    assert labels[0] == "Demande déposée" and labels[1] == "Demande modifiée"
    assert labels[2].startswith("Naissance de Lou") and labels[3] == "Demande retirée par la famille"
