"""Bounded reads: the CNAF tables in force on a day, a family's requests, offers and contracts, the
commission's list with its scores."""
from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch, Q

from documents.models import FamilyDocument

from . import pricing, rules
from .errors import EarlyChildhoodError
from .models import (
    ChildcareContract, CommissionSession, Criterion, Decision, EffortRate, MonthlyStatement, PreEnrolment,
    PreEnrolmentEvent, ResourceBound, SessionPlaces,
)


def rate_tables_on(day):
    """(effort rate rows, floor, ceiling) in force on ``day`` (3 queries). Raises a French error when
    staff have not entered them."""
    latest = EffortRate.objects.filter(valid_from__lte=day).order_by("-valid_from").values_list("valid_from", flat=True).first()
    if latest is None:
        raise EarlyChildhoodError("Le barème des taux d'effort n'est pas renseigné pour cette date.")
    rows = [pricing.RateRow(r.children_min, r.children_max, r.rate_percent)
            for r in EffortRate.objects.filter(valid_from=latest)]
    bounds = {}
    for kind in (ResourceBound.Kind.FLOOR, ResourceBound.Kind.CEILING):
        bound = ResourceBound.objects.filter(kind=kind, valid_from__lte=day).order_by("-valid_from").first()
        if bound is None:
            raise EarlyChildhoodError("Le plancher ou le plafond de ressources n'est pas renseigné pour cette date.")
        bounds[kind] = bound
    return rows, bounds[ResourceBound.Kind.FLOOR], bounds[ResourceBound.Kind.CEILING]


def published_criteria():
    return list(Criterion.objects.filter(is_active=True).select_related("proof_type"))


def _pre_enrolments():
    return PreEnrolment.objects.select_related("child", "nursery_1__structure", "nursery_2__structure",
                                               "nursery_3__structure")


def family_pre_enrolments(*, family):
    """The family's requests, newest first, with criteria, history and decisions of held sessions (4 queries)."""
    return list(
        _pre_enrolments().for_family(family).order_by("-created_at").prefetch_related(
            "criteria",
            Prefetch("events", queryset=PreEnrolmentEvent.objects.order_by("at", "pk")),
            Prefetch("decisions", queryset=Decision.objects.filter(session__status=CommissionSession.Status.HELD)
                     .select_related("session", "places__section__nursery__structure").order_by("-decided_at")),
        )
    )


def family_contracts(*, family):
    return list(ChildcareContract.objects.for_family(family).select_related("nursery__structure", "section")
                .order_by("-start_date"))


def contract_statements(*, contract, limit=24):
    return list(MonthlyStatement.objects.filter(contract=contract).select_related("invoice").order_by("-month")[:limit])


def request_score(pre):
    """(total, [(label, weight)]) of a request from its criteria (prefetched)."""
    return pricing.score([(c.label, c.weight) for c in pre.criteria.all()])


def session_places(session):
    """The session's places with how many are held by offers (2 queries)."""
    places = list(SessionPlaces.objects.filter(session=session).select_related("section__nursery__structure"))
    held = defaultdict(int)
    for decision in Decision.objects.filter(session=session, kind=Decision.Kind.OFFER).only("places_id", "answer", "kind"):
        if decision.holds_place:
            held[decision.places_id] += 1
    for p in places:
        p.held = held[p.pk]
        p.left = max(0, p.places - p.held)
    return places


def _proofs(family_ids):
    """{(family id, document type id): latest document} of the proof types the criteria ask (1 query)."""
    latest = {}
    proof_types = Criterion.objects.filter(proof_type__isnull=False).values("proof_type_id")
    for doc in (FamilyDocument.objects.filter(family_id__in=family_ids, document_type_id__in=proof_types)
                .order_by("family_id", "document_type_id", "-uploaded_at", "-pk")):
        latest.setdefault((doc.family_id, doc.document_type_id), doc)
    return latest


def session_requests(session):
    """The requests the session looks at — pending ones and those it decided — ordered by score, then
    seniority, each with its score lines and the session's decision (5 queries)."""
    decisions = {d.pre_enrolment_id: d for d in Decision.objects.filter(session=session).select_related("places__section__nursery__structure")}
    scope = Q(pk__in=list(decisions))
    if session.status == CommissionSession.Status.PREPARING:
        scope |= Q(status=PreEnrolment.Status.PENDING)
    pres = list(_pre_enrolments().filter(scope).select_related("family").prefetch_related("criteria"))
    proofs = _proofs({pre.family_id for pre in pres})
    for pre in pres:
        pre.score, pre.score_lines = request_score(pre)
        pre.decision = decisions.get(pre.pk)
        birth = pre.child.birth_date if pre.child_id else pre.expected_birth_date
        pre.age_at_start = rules.age_in_months(birth, pre.wished_start)
        pre.proofs = [(c.label, proofs.get((pre.family_id, c.proof_type_id))) for c in pre.criteria.all()
                      if c.proof_type_id]
    pres.sort(key=lambda p: (-p.score, p.created_at, p.pk))
    return pres


def caf_hours(*, year, nursery=None):
    """Contract, billed and attended hours per crèche and month of ``year``, for the CAF return."""
    qs = MonthlyStatement.objects.filter(month__year=year)
    if nursery is not None:
        qs = qs.filter(contract__nursery=nursery)
    rows = {}
    for s in qs.values_list("contract__nursery__structure__name", "month", "contract_hours", "billed_hours",
                            "attended_hours"):
        key = (s[0], s[1])
        row = rows.setdefault(key, [Decimal("0")] * 3)
        for i in range(3):
            row[i] += s[2 + i]
    return [{"nursery": k[0], "month": k[1], "contract_hours": v[0], "billed_hours": v[1], "attended_hours": v[2]}
            for k, v in sorted(rows.items())]
