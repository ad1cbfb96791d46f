"""« Mes demandes », « Mes enfants »: booking requests, absences sent with a justification and enrolment requests,
registered into families' list (families.request_sources; families cannot import enrolment). One query each."""
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from families.request_sources import ACCEPTED, PENDING, REFUSED, RequestItem, register_request_source

from .models import Booking, Enrolment
from .rules import PARIS

# A booking request the service accepted is a booked day, whatever happened to it next (attended, absent).
ACCEPTED_STATES = (Booking.State.RESERVED, Booking.State.PRESENT, Booking.State.ABSENT_BILLED, Booking.State.EXCUSED)
EXCUSE_STATUS = {Booking.Excuse.REQUESTED: PENDING, Booking.Excuse.GRANTED: ACCEPTED, Booking.Excuse.DENIED: REFUSED}
ENROLMENT_STATUS = {Enrolment.Status.PENDING: PENDING, Enrolment.Status.VALIDATED: ACCEPTED,
                    Enrolment.Status.REFUSED: REFUSED}


def _local_day(moment):
    return timezone.localdate(moment, PARIS) if moment else None


def _grouped(bookings, *, source, kind_label, asked, status, decided, reason):
    """One item per (child, activity, day asked, status, day decided, reason): the days a parent asked in one go,
    and the service answered in one go, read as one request. ``bookings`` come in date order."""
    groups = {}
    for b in bookings:
        key = (b.child_id, b.unit.activity_id, _local_day(asked(b)), status(b), _local_day(decided(b)), reason(b))
        groups.setdefault(key, []).append(b)
    items = []
    for rows in groups.values():
        first, activity = rows[0], rows[0].unit.activity
        units = sorted({b.unit for b in rows}, key=lambda unit: (unit.order, unit.pk))
        decided_at = [decided(b) for b in rows if decided(b)]
        items.append(RequestItem(
            key=f"{source}-{first.pk}", kind_label=kind_label, child_name=first.child.first_name,
            title=f"{activity.parent_name} ({', '.join(unit.name for unit in units)})",
            asked_at=min(asked(b) for b in rows), status=status(first), decided_at=max(decided_at, default=None),
            refusal_reason=reason(first), days=tuple(sorted({b.date for b in rows})),
            url=reverse("enrolment:month", args=[first.enrolment_id, first.date.year, first.date.month]),
            link_text="Voir le planning",
        ))
    return items


def _booking_status(booking):
    if booking.state == Booking.State.REQUESTED:
        return PENDING
    return REFUSED if booking.state == Booking.State.REFUSED else ACCEPTED


@register_request_source("bookings", "Réservations")
def booking_requests(*, family, since, kind=None):
    """Days booked on an activity whose bookings the service validates: pending ones, and those asked or decided
    since ``since`` (a row booked again after a cancellation is dated by its new request)."""
    recent = Q(created_at__gte=since) | Q(decided_at__gte=since)
    decided = Q(state=Booking.State.REFUSED) | Q(state__in=ACCEPTED_STATES, decided_at__isnull=False,
                                                  unit__activity__bookings_need_approval=True)
    rows = (Booking.objects.for_family(family).filter(Q(state=Booking.State.REQUESTED) | (decided & recent))
            .select_related("child", "unit__activity").order_by("date", "unit__order"))
    return _grouped(rows, source="booking", kind_label="Réservation", asked=lambda b: b.created_at,
                    status=_booking_status, decided=lambda b: b.decided_at if b.state != Booking.State.REQUESTED else None,
                    reason=lambda b: b.refusal_reason if b.state == Booking.State.REFUSED else "")


@register_request_source("absences", "Absences")
def absence_requests(*, family, since, kind=None):
    """Absences declared with a justification (medical certificate) the service examines: pending ones, and
    those declared or examined since ``since``."""
    recent = Q(absence_declared_at__gte=since) | Q(excuse_decided_at__gte=since)
    rows = (Booking.objects.for_family(family).filter(absence_declared_at__isnull=False)
            .filter(Q(excuse=Booking.Excuse.REQUESTED) | (Q(excuse__in=(Booking.Excuse.GRANTED, Booking.Excuse.DENIED))
                                                          & recent))
            .select_related("child", "unit__activity").order_by("date", "unit__order"))
    return _grouped(rows, source="absence", kind_label="Absence (justificatif envoyé)",
                    asked=lambda b: b.absence_declared_at, status=lambda b: EXCUSE_STATUS[b.excuse],
                    decided=lambda b: b.excuse_decided_at, reason=lambda b: b.excuse_refusal_reason)


@register_request_source("enrolments", "Inscriptions")
def enrolment_requests(*, family, since, kind=None):
    """Enrolment requests: pending ones, and those asked or decided since ``since``."""
    recent = Q(requested_at__gte=since) | Q(decided_at__gte=since)
    rows = (Enrolment.objects.for_family(family)
            .filter(Q(status=Enrolment.Status.PENDING)
                    | (Q(status__in=(Enrolment.Status.VALIDATED, Enrolment.Status.REFUSED)) & recent))
            .select_related("child", "activity").order_by("-requested_at"))
    index = reverse("enrolment:index")
    return [
        RequestItem(
            key=f"enrolment-{e.pk}", kind_label="Inscription", title=e.activity.parent_name,
            child_name=e.child.first_name, asked_at=e.requested_at, status=ENROLMENT_STATUS[e.status],
            decided_at=e.decided_at, refusal_reason=e.refusal_reason,
            note="validée automatiquement" if e.status == Enrolment.Status.VALIDATED and not e.decided_by_id else "",
            url=index, link_text="Voir mes inscriptions",
        )
        for e in rows
    ]
