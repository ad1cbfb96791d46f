"""« Mes demandes », « Mes enfants »: the days a family asked during the request phase of a fair opening, one request
per phase and child, registered into families' list (families.request_sources; families cannot import opening). One
query, whatever the number of days asked.

Waiting for the service until the phase's result is published; then « acceptée » when at least one day was given
(granted, or already booked), « refusée » when every day went to the waiting list; the note counts each outcome."""
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from families.request_sources import ACCEPTED, PENDING, REFUSED, RequestItem, register_request_source

from .models import PlaceRequest

WAITING_REASON = "Plus de place ces jours-là après l'attribution : votre enfant est sur liste d'attente."


def _count(n, one, many):
    return f"{n} {one if n == 1 else many}" if n else ""


def _outcome(rows):
    """(note, days given) of a published phase: « 3 jours attribués, 1 sur liste d'attente »."""
    n = {outcome: sum(1 for r in rows if r.outcome == outcome) for outcome in PlaceRequest.Outcome.values}
    granted, already, waiting = (n[PlaceRequest.Outcome.GRANTED], n[PlaceRequest.Outcome.ALREADY],
                                 n[PlaceRequest.Outcome.WAITING])
    parts = [_count(granted, "jour attribué", "jours attribués"),
             _count(already, "jour déjà réservé", "jours déjà réservés")]
    if any(parts):  # « 3 jours attribués, 1 sur liste d'attente »; alone: « 2 jours sur liste d'attente »
        parts.append(_count(waiting, "sur liste d'attente", "sur liste d'attente"))
    else:
        parts.append(_count(waiting, "jour sur liste d'attente", "jours sur liste d'attente"))
    return ", ".join(p for p in parts if p), granted + already


@register_request_source("opening", "Ouverture des réservations")
def opening_requests(*, family, since, kind=None):
    """Days asked during a request phase: every phase not published yet, and those asked or published since
    ``since``; one item per phase and child, its days in order."""
    rows = (PlaceRequest.objects.for_family(family)
            .filter(Q(phase__published_at__isnull=True) | Q(phase__published_at__gte=since) | Q(requested_at__gte=since))
            .select_related("child", "unit", "phase__window__activity").order_by("phase_id", "child_id", "date", "unit__order"))
    groups = {}
    for r in rows:
        groups.setdefault((r.phase_id, r.child_id), []).append(r)
    index = reverse("opening:index")
    items = []
    for group in groups.values():
        first = group[0]
        phase, window = first.phase, first.phase.window
        status, reason = PENDING, ""
        note = (f"attribution annoncée le {timezone.localtime(window.results_at):%d/%m/%Y à %Hh%M}"
                if window.results_at else "")
        if phase.published_at is not None:
            note, given = _outcome(group)
            status = ACCEPTED if given else REFUSED
            reason = WAITING_REASON if status == REFUSED else ""
        units = sorted({r.unit for r in group}, key=lambda unit: (unit.order, unit.pk))
        items.append(RequestItem(
            key=f"opening-{first.pk}", kind_label="Demande de places",
            title=f"{window.activity.parent_name} – {window.name} ({', '.join(unit.name for unit in units)})",
            child_name=first.child.first_name, asked_at=min(r.requested_at for r in group), status=status,
            days=tuple(sorted({r.date for r in group})), decided_at=phase.published_at, refusal_reason=reason,
            note=note, url=index, link_text="Voir l'attribution des places",
        ))
    return items
