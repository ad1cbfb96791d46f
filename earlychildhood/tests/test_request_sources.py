"""« Mes demandes », « Mes enfants »: the family's crèche place requests in a parent's words — waiting for the service
until a held commission decides (also while it is prepared, and when kept for the next one), an offered or accepted
place « acceptée », a refusal with the decision's reason —; the last month's plus every pending one, only the
family's own, two queries; and the page with a crèche request and a fair-opening request, filtered by kind."""
import datetime

import pytest
from django.utils import timezone

from earlychildhood import request_sources
from earlychildhood.models import Decision
from earlychildhood.services import commission, requests
from families.request_sources import ACCEPTED, PENDING, REFUSED
from families.selectors import family_requests
from families.tests.factories import parent_with_family
from opening.tests.factories import DAYS, request_window
from opening.tests.test_services import family_asking

from .factories import nursery_make, pre_make, session_make

pytestmark = pytest.mark.django_db
MONTH = datetime.timedelta(days=31)


def _day(day):
    return f"{day:%d/%m/%Y}"


def _items(family, since=None):
    return request_sources.creche_requests(family=family, since=since or timezone.now() - MONTH)


def _held(section, decisions, *, now=None, places=1):
    """A commission recording ``decisions`` [(pre, kind, reason)] then held (decisions sent)."""
    session, spot = session_make(section, places=places)
    for pre, kind, reason in decisions:
        commission.decision_record(session=session, pre=pre, kind=kind, reason=reason, now=now,
                                   places=spot if kind == Decision.Kind.OFFER else None)
    commission.session_hold(session=session, now=now)
    session.refresh_from_db()
    return session, spot


def test_a_request_for_an_expected_baby_waits_for_the_service(parent):
    user, family = parent
    nursery, _ = nursery_make()
    second, _ = nursery_make("Crèche La Farandole")
    pre = pre_make(family, nursery, user=user, nursery_2=second)
    (item,) = _items(family)
    assert item.status == PENDING and item.status_words == "en attente de réponse du service"
    assert item.kind_label == "Place en crèche" and item.title == "Multi-accueil Les Petits Loups, Crèche La Farandole"
    assert item.child_name == f"Camille (naissance prévue le {_day(pre.expected_birth_date)})"
    assert item.asked_at == pre.created_at and item.decided_at is None
    assert item.note == f"entrée souhaitée le {_day(pre.wished_start)}"
    assert (item.url, item.link_text) == ("/petite-enfance/", "Voir mes demandes de crèche")
    # Pending: listed however old.
    assert [i.key for i in _items(family, since=timezone.now() + 3 * MONTH)] == [f"creche-{pre.pk}"]


def test_during_the_commission_nothing_of_its_decision_shows(parent):
    user, family = parent
    nursery, section = nursery_make()
    pre = pre_make(family, nursery, expected=False)
    session, spot = session_make(section)
    commission.decision_record(session=session, pre=pre, kind=Decision.Kind.OFFER, places=spot)
    (item,) = _items(family)
    assert item.status == PENDING and "place" not in item.note and item.decided_at is None
    assert item.child_name == family.children.get().first_name


def test_offered_kept_and_refused_once_the_commission_is_held(parent):
    user, family = parent
    nursery, section = nursery_make()
    offered, kept, refused = (pre_make(family, nursery) for _ in range(3))
    sent = timezone.now()
    session, spot = _held(section, [(offered, Decision.Kind.OFFER, ""), (kept, Decision.Kind.KEEP, ""),
                                    (refused, Decision.Kind.REFUSE, "Domicile hors des communes membres")], now=sent)
    items = {item.key: item for item in _items(family)}
    offer = items[f"creche-{offered.pk}"]
    expires = Decision.objects.get(pre_enrolment=offered).offer_expires_on
    assert (offer.status, offer.status_words, offer.decided_at) == (ACCEPTED, "acceptée", sent)
    assert offer.note == (f"place proposée à Multi-accueil Les Petits Loups (Bébés) à partir du 01/03/2026, "
                          f"réponse attendue avant le {_day(expires)}")
    assert offer.link_text == "Répondre à la proposition"
    later = items[f"creche-{kept.pk}"]
    assert later.status == PENDING and later.decided_at is None
    assert later.note.endswith(f"examinée par la commission du {_day(session.date)}, reportée à la prochaine")
    no = items[f"creche-{refused.pk}"]
    assert (no.status, no.refusal_reason, no.decided_at) == (REFUSED, "Domicile hors des communes membres", sent)


def test_an_accepted_place_names_its_contract(parent):
    user, family = parent
    nursery, section = nursery_make()
    pre = pre_make(family, nursery)
    _held(section, [(pre, Decision.Kind.OFFER, "")])
    commission.offer_answer(decision=Decision.objects.get(pre_enrolment=pre), accept=True)
    (item,) = _items(family)
    assert item.status == ACCEPTED
    assert item.note == "place acceptée : contrat d'accueil à Multi-accueil Les Petits Loups (Bébés) à partir du 01/03/2026"


def test_decided_more_than_a_month_ago_and_withdrawn_are_not_listed(parent):
    user, family = parent
    nursery, section = nursery_make()
    old = timezone.now() - 3 * MONTH
    refused_long_ago = pre_make(family, nursery, now=old)
    filed_long_ago = pre_make(family, nursery, now=old)
    _held(section, [(refused_long_ago, Decision.Kind.REFUSE, "Complet")], now=old)
    _held(section, [(filed_long_ago, Decision.Kind.REFUSE, "Complet")])  # decided this month
    withdrawn = pre_make(family, nursery)
    requests.pre_enrolment_withdraw(pre=withdrawn, user=user)
    assert [item.key for item in _items(family)] == [f"creche-{filed_long_ago.pk}"]


def test_confirmation_asked_by_the_service(parent):
    user, family = parent
    nursery, _ = nursery_make()
    pre = pre_make(family, nursery, now=timezone.now() - 4 * MONTH)
    requests.confirmation_reminders()
    (item,) = _items(family)
    assert item.status == PENDING and item.note.endswith("le service vous demande de la confirmer")
    assert item.link_text == "Confirmer ma demande" and item.asked_at == pre.created_at


def test_only_the_familys_own_requests(parent, other_family):
    user, family = parent
    nursery, section = nursery_make()
    mine = pre_make(family, nursery)
    theirs = pre_make(other_family[1], nursery)
    _held(section, [(theirs, Decision.Kind.REFUSE, "Secret de l'autre famille")])
    assert [item.key for item in family_requests(family=family, kind="earlychildhood")["children"]] == [
        f"creche-{mine.pk}"]
    (other,) = family_requests(family=other_family[1], kind="earlychildhood")["children"]
    assert other.key == f"creche-{theirs.pk}" and other.status == REFUSED


@pytest.mark.parametrize("count", [1, 20])
def test_two_queries_whatever_the_requests(parent, count, django_assert_num_queries):
    user, family = parent
    nursery, section = nursery_make()
    second, _ = nursery_make("Crèche La Farandole")
    pres = [pre_make(family, nursery, nursery_2=second) for _ in range(count)]
    _held(section, [(pre, Decision.Kind.KEEP, "") for pre in pres])
    with django_assert_num_queries(2):
        items = _items(family)
    assert len(items) == count and all("reportée" in item.note for item in items)


def test_the_page_lists_a_creche_request_and_a_fair_opening_request(client):
    activity, group, (unit,), window, phase = request_window()
    user, family, (child,) = family_asking(activity, group, unit, DAYS[:2])
    nursery, section = nursery_make()
    pre = pre_make(family, nursery)
    _held(section, [(pre, Decision.Kind.REFUSE, "Aucune place dans la crèche demandée")])
    client.force_login(user)
    body = client.get("/famille/demandes/").content.decode()
    assert '<optgroup label="Mes enfants">' in body
    assert '<option value="earlychildhood">Crèche</option>' in body
    assert '<option value="opening">Ouverture des réservations</option>' in body
    assert "Place en crèche – Multi-accueil Les Petits Loups – Camille" in body
    assert "<strong>Motif du refus :</strong> Aucune place dans la crèche demandée" in body
    assert f"Demande de places – {activity.parent_name} – Hiver 2026 (Journée) – {child.first_name}" in body
    assert 'href="/petite-enfance/"' in body and 'href="/ouverture/"' in body
    creche = client.get("/famille/demandes/?type=earlychildhood").content.decode()
    assert "Place en crèche" in creche and "Demande de places" not in creche and 'id="h-dossier"' not in creche
    opening = client.get("/famille/demandes/?type=opening").content.decode()
    assert "Demande de places" in opening and "Place en crèche" not in opening
    _, stranger = parent_with_family()
    client.force_login(stranger.guardians.get().user)
    assert "Aucune place dans la crèche demandée" not in client.get("/famille/demandes/").content.decode()
