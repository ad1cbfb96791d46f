"""« Mes demandes », « Mes enfants »: the family's requests for a crèche place (préinscriptions), registered into
families' list (families.request_sources; families cannot import earlychildhood). Two queries, whatever the count:
the requests, then the decisions of the commissions already held (a decision being prepared is never shown).

In a parent's words: a request is « en attente de réponse du service » until a held commission decides, also
while a commission is being prepared and when it was kept for the next one; an offered place, an accepted one
(the contract) are « acceptée »; a refusal carries the decision's reason. Withdrawn and lapsed requests are no
longer requests to the service: the crèche page keeps their history."""
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse

from families.request_sources import ACCEPTED, PENDING, REFUSED, RequestItem, register_request_source

from .models import CommissionSession, Decision, PreEnrolment

STATUS = {PreEnrolment.Status.PENDING: PENDING, PreEnrolment.Status.OFFERED: ACCEPTED,
          PreEnrolment.Status.ACCEPTED: ACCEPTED, PreEnrolment.Status.REFUSED: REFUSED}
DECIDED = (PreEnrolment.Status.OFFERED, PreEnrolment.Status.ACCEPTED, PreEnrolment.Status.REFUSED)
HELD = Q(session__status=CommissionSession.Status.HELD)


def _sent_at(decision):
    """When the family was told: the session's sending, or later for a place offered again after a refusal."""
    return max(filter(None, (decision.decided_at, decision.session.held_at)))


def _child(pre):
    if pre.child_id:
        return pre.child.first_name
    return f"{pre.expected_first_name or 'Bébé à naître'} (naissance prévue le {pre.expected_birth_date:%d/%m/%Y})"


def _day(day):
    return f"{day:%d/%m/%Y}"


def _item(pre, index):
    held = sorted(pre.held_decisions, key=_sent_at)
    final = next((d for d in reversed(held) if d.kind != Decision.Kind.KEEP), None)
    status = STATUS[pre.status]
    notes = [f"entrée souhaitée le {_day(pre.wished_start)}"]
    link_text = "Voir mes demandes de crèche"
    if status == PENDING:
        if held:  # the last held commission kept it for the next one
            notes.append(f"examinée par la commission du {_day(held[-1].session.date)}, reportée à la prochaine")
        if pre.confirmation_asked_at:
            notes.append("le service vous demande de la confirmer")
            link_text = "Confirmer ma demande"
    elif final is not None and final.places_id and status == ACCEPTED:
        section = final.places.section
        where = f"{section.nursery.name} ({section.name}) à partir du {_day(final.places.start_date)}"
        if pre.status == PreEnrolment.Status.ACCEPTED:
            notes = [f"place acceptée : contrat d'accueil à {where}"]
        else:
            notes = [f"place proposée à {where}, réponse attendue avant le {_day(final.offer_expires_on)}"
                     if final.offer_expires_on else f"place proposée à {where}"]
            link_text = "Répondre à la proposition"
    return RequestItem(
        key=f"creche-{pre.pk}", kind_label="Place en crèche",
        title=", ".join(nursery.name for nursery in pre.nurseries()), child_name=_child(pre),
        asked_at=pre.created_at, status=status,
        decided_at=_sent_at(final) if final is not None and status != PENDING else None,
        refusal_reason=final.reason if final is not None and status == REFUSED else "",
        note=", ".join(notes), url=index, link_text=link_text,
    )


@register_request_source("earlychildhood", "Crèche")
def creche_requests(*, family, since, kind=None):
    """Crèche place requests: pending ones, and those filed or decided (commission held) since ``since``."""
    decided_since = Decision.objects.filter(HELD, pre_enrolment=OuterRef("pk")).filter(
        Q(decided_at__gte=since) | Q(session__held_at__gte=since))
    held = Prefetch("decisions", to_attr="held_decisions", queryset=Decision.objects.filter(HELD).select_related(
        "session", "places__section__nursery__structure"))
    rows = (PreEnrolment.objects.for_family(family)
            .filter(Q(status=PreEnrolment.Status.PENDING)
                    | (Q(status__in=DECIDED) & (Q(created_at__gte=since) | Exists(decided_since))))
            .select_related("child", "nursery_1__structure", "nursery_2__structure", "nursery_3__structure")
            .prefetch_related(held).order_by("-created_at"))
    index = reverse("earlychildhood:index")
    return [_item(pre, index) for pre in rows]
