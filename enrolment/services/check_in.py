"""Check-in (pointage) on a phone or tablet: arrival, departure, absence and their undo, and a child who
comes without a booking.

Each tap carries an id made on the device (a UUID). The device keeps the taps it could not send and sends
them again once the network is back, so a tap may arrive twice: the id is the primary key of
``CheckInTap``, looked up under the booking's row lock, so the second copy changes nothing.
"""
import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.errors import BookingError
from portal.models import AuditLog

from .. import rules
from ..models import Booking, CheckInTap, Enrolment
from .occupancy import counter_keys, occupancy_lock, occupancy_release, occupancy_save

# What each action accepts, and the state it leaves.
CHECKABLE = (Booking.State.RESERVED, Booking.State.PRESENT, Booking.State.ABSENT_BILLED)


def _local_time(moment):
    return timezone.localtime(moment, rules.PARIS).time().replace(second=0, microsecond=0)


def check_in_tap(*, tap_id, booking_id, action, tapped_at, by):
    """Apply one tap to a booking, once per ``tap_id``. Returns (booking, applied): ``applied`` is False
    when this tap had already been received.

    - arrive: the child is present, arrived at ``tapped_at`` (a booked day, or one marked absent by mistake);
    - leave: the child left at ``tapped_at`` (present children only);
    - absent: booked and not come: « absent non excusé », billed (``Booking.BILLABLE_STATES``); the family may
      still send a justification, which staff excuse as any billed absence;
    - undo: puts back what the booking was before its last tap not undone yet.
    """
    if action not in CheckInTap.Action.values:
        raise BookingError("Action de pointage inconnue.")
    with transaction.atomic():
        booking = (Booking.objects.select_for_update(of=("self",))
                   .select_related("child__family", "unit", "enrolment__group").filter(pk=booking_id).first())
        if booking is None:
            raise BookingError("Cette réservation n'existe plus : rechargez la page.")
        if CheckInTap.objects.filter(pk=tap_id).exists():
            return booking, False
        tap = CheckInTap(id=tap_id, booking=booking, action=action, tapped_at=tapped_at, by=by,
                         previous_state=booking.state, previous_arrived_at=booking.arrived_at,
                         previous_left_at=booking.left_at)
        old = booking.state
        if action == CheckInTap.Action.UNDO:
            _undo(booking)
        elif booking.state not in CHECKABLE:
            raise BookingError(f"{booking.child.first_name} ne peut pas être pointé : "
                               f"{booking.get_state_display().lower()}.")
        elif action == CheckInTap.Action.ARRIVE:
            booking.state, booking.arrived_at = Booking.State.PRESENT, _local_time(tapped_at)
        elif action == CheckInTap.Action.LEAVE:
            if booking.state != Booking.State.PRESENT:
                raise BookingError(f"{booking.child.first_name} n'est pas pointé présent : pas de départ à noter.")
            booking.left_at = _local_time(tapped_at)
        else:  # absent
            booking.state, booking.arrived_at, booking.left_at = Booking.State.ABSENT_BILLED, None, None
        booking.save(update_fields=["state", "arrived_at", "left_at", "updated_at"])
        try:
            with transaction.atomic():
                tap.save(force_insert=True)
        except IntegrityError:  # the same tap received twice at the same instant: the first one wins
            raise BookingError("Ce pointage a déjà été reçu.") from None
        if booking.state != old:
            AuditLog.objects.create(
                actor=by, family=booking.child.family, action="booking.attendance",
                summary=f"Pointage ({tap.get_action_display().lower()}) : {booking}"[:300],
                old_values={"state": old}, new_values={"state": booking.state},
            )
    return booking, True


def _undo(booking):
    last = booking.taps.filter(undone=False).exclude(action=CheckInTap.Action.UNDO).order_by("-recorded_at").first()
    if last is None:
        raise BookingError("Aucun pointage à annuler.")
    last.undone = True
    last.save(update_fields=["undone"])
    if last.previous_state not in Booking.HOLDING_STATES and booking.state in Booking.HOLDING_STATES:
        # The child added at check-in by mistake: the place is given back, as if never booked.
        occupancy_release(unit_id=booking.unit_id, group=booking.enrolment.group, day=booking.date)
    booking.state = last.previous_state
    booking.arrived_at, booking.left_at = last.previous_arrived_at, last.previous_left_at


def check_in_walk_in(*, tap_id, enrolment_id, unit_id, day, tapped_at, by):
    """A child enrolled in the activity comes without a booking: a present day is added (a place taken),
    arrived at ``tapped_at``. Billed as a booked day, or only flagged for staff when the activity says so
    (``Activity.walk_in_billed``, read by billing). Idempotent on ``tap_id`` like ``check_in_tap``.
    Returns (booking, applied)."""
    with transaction.atomic():
        enrolment = (Enrolment.objects.select_for_update(of=("self",)).select_related("child__family", "group")
                     .filter(pk=enrolment_id, status=Enrolment.Status.VALIDATED).first())
        if enrolment is None:
            raise BookingError("Cet enfant n'est plus inscrit à l'activité.")
        unit = enrolment.activity.units.filter(pk=unit_id).first()
        if unit is None:
            raise BookingError("Cette unité n'appartient pas à l'activité de l'enfant.")
        seen = CheckInTap.objects.filter(pk=tap_id).select_related("booking").first()
        if seen is not None:
            return seen.booking, False
        booking = Booking.objects.select_for_update(of=("self",)).filter(
            child=enrolment.child, unit=unit, date=day).first()
        if booking is not None and booking.state not in (Booking.State.CANCELLED, Booking.State.REFUSED):
            raise BookingError(f"{enrolment.child.first_name} est déjà sur la liste de ce jour.")
        places = occupancy_lock(counter_keys(unit.pk, enrolment.group, day))
        if not places.has_room(unit.pk, enrolment.group, day):
            raise BookingError(f"Plus de place en « {unit.name} » ce jour : voyez avec la direction avant "
                               f"d'accueillir {enrolment.child.first_name}.")
        places.take(unit.pk, enrolment.group, day)
        occupancy_save(places)
        previous = booking.state if booking else Booking.State.CANCELLED
        if booking is None:
            booking = Booking(child=enrolment.child, unit=unit, date=day, enrolment=enrolment, booked_by=by)
        booking.state, booking.walk_in = Booking.State.PRESENT, True
        booking.arrived_at, booking.left_at = _local_time(tapped_at), None
        booking.enrolment = enrolment
        booking.save()
        CheckInTap.objects.create(id=tap_id, booking=booking, action=CheckInTap.Action.ARRIVE, tapped_at=tapped_at,
                                  by=by, previous_state=previous)
        AuditLog.objects.create(
            actor=by, family=enrolment.child.family, action="booking.walk_in",
            summary=f"Venu sans réservation, ajouté au pointage : {booking}"[:300],
            new_values={"state": booking.state, "billed": enrolment.activity.walk_in_billed},
        )
    return booking, True


def tap_time(value, *, now=None):
    """The device's time of a tap (ISO 8601), or now when missing or unreadable; never in the future."""
    now = now or timezone.now()
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return now
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, rules.PARIS)
    return min(moment, now)
