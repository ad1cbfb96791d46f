"""The allocation commission: decisions per request, holding the session (decisions e-mailed), the
family's answer to an offer (an accepted offer becomes a contract), lapsed offers and the next request."""
import datetime

from django.db import transaction
from django.utils import timezone

from portal.models import AuditLog

from ..conf import setting
from ..errors import EarlyChildhoodError
from ..models import CommissionSession, Decision, PreEnrolment, SessionPlaces
from ..selectors import request_score
from .contracts import contract_create
from .events import event_add, family_email


def places_left(places):
    held = sum(1 for d in Decision.objects.filter(places=places, kind=Decision.Kind.OFFER) if d.holds_place)
    return places.places - held


def decision_record(*, session, pre, kind, places=None, schedule=None, reason="", by=None, now=None):
    """Record (or change) the session's decision on a request while the session is being prepared."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        session = CommissionSession.objects.select_for_update().get(pk=session.pk)
        if session.status != CommissionSession.Status.PREPARING:
            raise EarlyChildhoodError("Cette commission est close : ses décisions ne changent plus.")
        pre = PreEnrolment.objects.select_for_update().get(pk=pre.pk)
        existing = Decision.objects.filter(session=session, pre_enrolment=pre).first()
        if pre.status != PreEnrolment.Status.PENDING and existing is None:
            raise EarlyChildhoodError("Cette demande n'est plus en attente.")
        if kind == Decision.Kind.OFFER:
            if places is None or places.session_id != session.pk:
                raise EarlyChildhoodError("Choisissez une des places de cette commission.")
            places = SessionPlaces.objects.select_for_update().select_related("section__nursery").get(pk=places.pk)
            if places.section.nursery_id not in {n.pk for n in pre.nurseries()}:
                raise EarlyChildhoodError("La famille n'a pas demandé cette crèche.")
            if (existing is None or existing.places_id != places.pk) and places_left(places) <= 0:
                raise EarlyChildhoodError("Il ne reste plus de place dans cette section à cette date.")
        elif kind == Decision.Kind.REFUSE and not reason:
            raise EarlyChildhoodError("Indiquez le motif du refus.")
        else:
            places = None
        total, lines = request_score(pre)
        decision, _ = Decision.objects.update_or_create(
            session=session, pre_enrolment=pre,
            defaults={"kind": kind, "places": places, "schedule": (schedule or pre.schedule) if places else {},
                      "reason": reason[:300], "score": total, "score_lines": [list(line) for line in lines],
                      "decided_at": now, "decided_by": by},
        )
    return decision


def session_hold(*, session, by=None, now=None):
    """Close the session: offers get their answer deadline, every decision is e-mailed and written in
    the request's history. Returns the number of decisions sent."""
    now = now or timezone.now()
    expires = timezone.localdate(now) + datetime.timedelta(days=setting("EARLYCHILDHOOD_OFFER_DAYS"))
    with transaction.atomic():
        session = CommissionSession.objects.select_for_update().get(pk=session.pk)
        if session.status != CommissionSession.Status.PREPARING:
            raise EarlyChildhoodError("Les décisions de cette commission ont déjà été envoyées.")
        decisions = list(Decision.objects.filter(session=session).select_related(
            "pre_enrolment__family", "pre_enrolment__child", "places__section__nursery__structure"))
        for decision in decisions:
            _publish(decision, expires=expires, now=now, by=by)
        session.status, session.held_at, session.held_by = CommissionSession.Status.HELD, now, by
        session.save(update_fields=["status", "held_at", "held_by"])
        AuditLog.objects.create(actor=by, action="earlychildhood.session_held",
                                summary=f"{session} : {len(decisions)} décision(s) envoyée(s)")
    return len(decisions)


def _publish(decision, *, expires, now, by=None):
    pre = decision.pre_enrolment
    if decision.kind == Decision.Kind.OFFER:
        decision.offer_expires_on = expires
        decision.save(update_fields=["offer_expires_on"])
        pre.status = PreEnrolment.Status.OFFERED
        label = (f"Place proposée : {decision.places.section}, à partir du {decision.places.start_date:%d/%m/%Y} "
                 f"(réponse avant le {expires:%d/%m/%Y})")
    elif decision.kind == Decision.Kind.REFUSE:
        pre.status = PreEnrolment.Status.REFUSED
        label = f"Demande refusée : {decision.reason}"
    else:
        label = "Demande reportée à la prochaine commission"
    pre.save(update_fields=["status"])
    event_add(pre, f"Commission du {decision.session.date:%d/%m/%Y} – {label}", by=by, now=now)
    family_email(pre, "earlychildhood_decision", {"decision": decision})


def offer_answer(*, decision, accept, user=None, now=None):
    """The family accepts (a contract is created) or declines an offered place, before its deadline."""
    now = now or timezone.now()
    with transaction.atomic():
        decision = Decision.objects.select_for_update(of=("self",)).select_related(
            "session", "pre_enrolment__family", "pre_enrolment__child", "places__section__nursery__structure",
        ).get(pk=decision.pk)
        pre = decision.pre_enrolment
        if (decision.kind != Decision.Kind.OFFER or decision.session.status != CommissionSession.Status.HELD
                or decision.answer or pre.status != PreEnrolment.Status.OFFERED):
            raise EarlyChildhoodError("Cette proposition n'attend plus de réponse.")
        if timezone.localdate(now) > decision.offer_expires_on:
            raise EarlyChildhoodError("Le délai de réponse à cette proposition est dépassé.")
        decision.answer = Decision.Answer.ACCEPTED if accept else Decision.Answer.DECLINED
        decision.answered_at = now
        decision.save(update_fields=["answer", "answered_at"])
        if accept:
            pre.status = PreEnrolment.Status.ACCEPTED
            pre.save(update_fields=["status"])
            section = decision.places.section
            contract = contract_create(
                family=pre.family, child=pre.child, child_name=pre.child_name,
                nursery=section.nursery, section=section, start_date=decision.places.start_date,
                schedule=decision.schedule or pre.schedule, resources=pre.monthly_resources,
                dependent_children=pre.dependent_children, disabled_children=pre.disabled_children,
                decision=decision,
            )
            event_add(pre, f"Place acceptée : contrat d'accueil à {section.nursery} à partir du "
                           f"{contract.start_date:%d/%m/%Y}", by=user, now=now)
            return contract
        pre.status = PreEnrolment.Status.WITHDRAWN
        pre.save(update_fields=["status"])
        event_add(pre, "Place déclinée par la famille", by=user, now=now)
        offer_next(places=decision.places, now=now)
    return None


def offer_release(*, pre, answer, now):
    """A withdrawn request gives back the place its waiting offer held (then offered to the next request)."""
    for decision in Decision.objects.select_for_update(of=("self",)).filter(pre_enrolment=pre, kind=Decision.Kind.OFFER, answer=""):
        decision.answer, decision.answered_at = answer, now
        decision.save(update_fields=["answer", "answered_at"])
        if decision.session.status == CommissionSession.Status.HELD:
            offer_next(places=decision.places, now=now)


def offer_next(*, places, now):
    """Give a freed place to the next request of the session's list: the best-scored request the session
    kept for later that asked for this crèche. Returns the new offer, or None."""
    nursery_id = places.section.nursery_id
    candidates = [
        d for d in Decision.objects.filter(session=places.session, kind=Decision.Kind.KEEP,
                                           pre_enrolment__status=PreEnrolment.Status.PENDING)
        .select_related("pre_enrolment__family", "pre_enrolment__child", "session")
        if nursery_id in {pre_n for pre_n in (d.pre_enrolment.nursery_1_id, d.pre_enrolment.nursery_2_id,
                                               d.pre_enrolment.nursery_3_id) if pre_n}
    ]
    if not candidates or places_left(places) <= 0:
        return None
    decision = sorted(candidates, key=lambda d: (-d.score, d.pre_enrolment.created_at, d.pk))[0]
    decision.kind, decision.places, decision.schedule = Decision.Kind.OFFER, places, decision.pre_enrolment.schedule
    decision.decided_at = now
    decision.save(update_fields=["kind", "places", "schedule", "decided_at"])
    _publish(decision, now=now,
             expires=timezone.localdate(now) + datetime.timedelta(days=setting("EARLYCHILDHOOD_OFFER_DAYS")))
    return decision


def offers_expire(*, now=None):
    """Offers not answered by their deadline lapse (the family is told) and their place goes to the next
    request. Idempotent. Returns the number of offers that lapsed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    count = 0
    for decision_id in Decision.objects.filter(kind=Decision.Kind.OFFER, answer="", offer_expires_on__lt=today,
                                               session__status=CommissionSession.Status.HELD).values_list("pk", flat=True):
        with transaction.atomic():
            decision = Decision.objects.select_for_update(of=("self",)).select_related(
                "pre_enrolment__family", "places__section__nursery__structure", "places__session").get(pk=decision_id)
            if decision.answer:
                continue
            decision.answer, decision.answered_at = Decision.Answer.LAPSED, now
            decision.save(update_fields=["answer", "answered_at"])
            pre = decision.pre_enrolment
            pre.status = PreEnrolment.Status.LAPSED
            pre.save(update_fields=["status"])
            event_add(pre, "Proposition de place expirée sans réponse : la demande est caduque", now=now)
            family_email(pre, "earlychildhood_lapsed", {"offer": True, "decision": decision})
            offer_next(places=decision.places, now=now)
            count += 1
    return count
