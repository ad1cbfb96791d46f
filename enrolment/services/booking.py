"""Bookings: pre-booking, absences, staff decisions and cancellations, attendance (the basket commit is
in ``commit.py``).

Places are taken and given back through ``occupancy.py`` only, in the same transaction as the booking
they belong to.
"""
import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from portal.errors import BookingError
from portal.mail import email_queue
from portal.models import AuditLog
from portal.queue import enqueue_on_commit

from .. import loaders, rules
from ..models import Booking, Enrolment
from .occupancy import counter_keys, occupancy_lock, occupancy_release, occupancy_save

BOOK, CANCEL = "book", "cancel"
ACTIVE = ("reserved", "requested")  # what a parent can cancel in a basket


@dataclass(frozen=True, order=True)
class Change:
    date: datetime.date
    child_id: int
    unit_id: int
    action: str  # "book" or "cancel"


def fr_day(day):
    return f"{rules.WEEKDAYS_FR[day.weekday()]} {day:%d/%m/%Y}"


# --------------------------------------------------------------------------- shared with the basket commit
def serve_waiting_list_after_commit(*, unit_id, date, now):
    """Offer a freed place to the waiting list in its own transaction, once this one has committed
    (so one family's change never holds another family's rows)."""
    serve_waiting_lists_after_commit(days=[(unit_id, date)], now=now)


def serve_waiting_lists_after_commit(*, days, now):
    """serve_waiting_list_after_commit for several freed (unit_id, day): one task (queuing a Celery task
    costs about a millisecond of CPU), each day served in its own transaction."""
    days = [(unit_id, day.isoformat()) for unit_id, day in sorted(set(days), key=lambda x: (x[1], x[0]))]
    if len(days) == 1:
        enqueue_on_commit("enrolment.tasks.waiting_list_serve", *days[0], now.isoformat())
    elif days:
        enqueue_on_commit("enrolment.tasks.waiting_list_serve_days", [list(d) for d in days], now.isoformat())


def family_emails(family):
    return sorted({g.email for g in family.guardians.all() if g.email})


# --------------------------------------------------------------------------- pre-booking
def enrolment_prebook(*, enrolment, start=None, end=None, now=None):
    """Book every opening day in [start, end] (default: today → end of season) for the regular units.

    Days the child already has a booking row for (any state, a parent's cancellation included) and full
    days are skipped. Idempotent. Returns the number of bookings created.
    """
    now = now or timezone.now()
    today = timezone.localdate(now, rules.PARIS)
    activity = enrolment.activity
    start = max(start or today, today, activity.season_start)
    end = min(end or activity.season_end, activity.season_end)
    if enrolment.status != Enrolment.Status.VALIDATED or start > end:
        return 0
    units = {u.id: u for u in activity.units.filter(is_regular=True)}
    if not units:
        return 0
    calendar = loaders.calendars_for([activity])[activity.id]
    days = calendar.open_days(start, end)
    if not days:
        return 0

    def booked_days():  # any state: a day the parent cancelled is not booked again
        return set(Booking.objects.filter(child_id=enrolment.child_id, unit_id__in=units, date__range=(start, end))
                   .values_list("unit_id", "date"))

    with transaction.atomic():
        taken = booked_days()
        wanted = [(u, d) for d in days for u in sorted(units) if (u, d) not in taken]
        if not wanted:
            return 0
        places = occupancy_lock({k for u, d in wanted for k in counter_keys(u, enrolment.group, d)})
        # Read again under the counters' locks: a basket committed meanwhile for one of these days held
        # them too, so its bookings are seen now (never inserted twice, never counted twice).
        taken = booked_days()
        state = Booking.State.REQUESTED if activity.bookings_need_approval else Booking.State.RESERVED
        new = [
            Booking(child_id=enrolment.child_id, unit_id=u, date=d, enrolment=enrolment, state=state)
            for u, d in wanted if (u, d) not in taken and places.take(u, enrolment.group, d)
        ]
        Booking.objects.bulk_create(new)
        occupancy_save(places)
    return len(new)


# --------------------------------------------------------------------------- absences
def booking_declare_absence(*, booking, by, reason="", certificate=None, now=None):
    """A parent declares an absence on a booked day.

    Before the notice deadline it is a free cancellation (the place goes to the waiting list); after it
    the day becomes a billed absence, which staff may excuse when a medical certificate is attached.
    Returns the booking.
    """
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "unit__activity", "enrolment__group", "child").get(pk=booking.pk)
        if booking.state == Booking.State.ABSENT_BILLED and not booking.excuse:
            # Marked « absent non excusé » at check-in (or declared late): the family may still send a
            # justification, which staff examine as any certificate (booking_excuse).
            return _absence_justify(booking, by=by, reason=reason, certificate=certificate, now=now)
        if booking.state in (Booking.State.ABSENT_BILLED, Booking.State.EXCUSED) and booking.excuse:
            raise BookingError(f"Un justificatif a déjà été envoyé pour cette absence "
                               f"({booking.get_excuse_display().lower()}).")
        if booking.state not in ACTIVE:
            raise BookingError("Ce jour n'est pas réservé : aucune absence à déclarer.")
        today = timezone.localdate(now, rules.PARIS)
        if booking.date < today:
            raise BookingError("Ce jour est passé : adressez-vous au service par la messagerie.")
        policy = loaders.policies_for([booking.unit.activity])[booking.unit.activity_id]
        booking.absence_declared_at = now
        booking.absence_reason = reason[:250]
        if rules.cancellation_is_free(booking.date, policy, now) or booking.state == Booking.State.REQUESTED:
            occupancy_release(unit_id=booking.unit_id, group=booking.enrolment.group, day=booking.date)
            booking.state = Booking.State.CANCELLED
            booking.save()
            serve_waiting_list_after_commit(unit_id=booking.unit_id, date=booking.date, now=now)
        else:
            booking.state = Booking.State.ABSENT_BILLED
            if certificate:
                booking.medical_certificate = certificate
                booking.excuse = Booking.Excuse.REQUESTED
            booking.save()
        AuditLog.objects.create(
            actor=by, family=booking.child.family, action="booking.absence",
            summary=f"Absence déclarée : {booking}"[:300], new_values={"state": booking.state},
        )
    return booking


def _absence_justify(booking, *, by, reason, certificate, now):
    if not certificate:
        raise BookingError("Cette absence est déjà enregistrée : joignez un justificatif (certificat médical) "
                           "pour demander qu'elle soit excusée.")
    booking.medical_certificate, booking.excuse = certificate, Booking.Excuse.REQUESTED
    booking.absence_declared_at, booking.absence_reason = now, reason[:250]
    booking.save()
    AuditLog.objects.create(
        actor=by, family=booking.child.family, action="booking.absence",
        summary=f"Justificatif d'absence envoyé : {booking}"[:300], new_values={"excuse": booking.excuse},
    )
    return booking


# --------------------------------------------------------------------------- staff decisions
def booking_decide(*, booking, accept, by, reason="", now=None):
    """Staff accept or refuse a booking request ("demande en attente"); e-mails the family."""
    now = now or timezone.now()
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "unit__activity", "enrolment__group", "child__family").get(pk=booking.pk)
        if booking.state != Booking.State.REQUESTED:
            raise BookingError("Cette demande de réservation a déjà été traitée.")
        if not accept and not reason.strip():
            raise BookingError("Indiquez le motif du refus.")
        old = booking.state
        booking.decided_by, booking.decided_at = by, now
        if accept:
            booking.state = Booking.State.RESERVED
        else:
            booking.state, booking.refusal_reason = Booking.State.REFUSED, reason.strip()[:250]
            occupancy_release(unit_id=booking.unit_id, group=booking.enrolment.group, day=booking.date)
        booking.save()
        AuditLog.objects.create(
            actor=by, family=booking.child.family, action="booking.decide",
            summary=f"Demande de réservation {'acceptée' if accept else 'refusée'} : {booking}"[:300],
            old_values={"state": old}, new_values={"state": booking.state, "reason": booking.refusal_reason},
        )
        for to in family_emails(booking.child.family):
            email_queue(to=to, template="booking_decision", context={"booking": booking}, related=booking)
        if not accept:
            serve_waiting_list_after_commit(unit_id=booking.unit_id, date=booking.date, now=now)
    return booking


def booking_cancel_by_staff(*, booking, by, reason, now=None):
    """Staff cancel a booked (or requested) day: the place is given back and offered to the waiting list
    once committed, the family is e-mailed the reason, the audit log keeps who and why."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise BookingError("Indiquez le motif de l'annulation (il est envoyé à la famille).")
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "unit__activity", "enrolment__group", "child__family").get(pk=booking.pk)
        if booking.state not in ACTIVE:
            raise BookingError(f"Seul un jour réservé ou une demande en attente peut être annulé (état actuel : "
                               f"{booking.get_state_display().lower()}).")
        old = booking.state
        occupancy_release(unit_id=booking.unit_id, group=booking.enrolment.group, day=booking.date)
        booking.state = Booking.State.CANCELLED
        booking.decided_by, booking.decided_at = by, now
        booking.save(update_fields=["state", "decided_by", "decided_at", "updated_at"])
        AuditLog.objects.create(
            actor=by, family=booking.child.family, action="booking.cancel",
            summary=f"Réservation annulée par le service : {booking}"[:300],
            old_values={"state": old}, new_values={"state": booking.state, "reason": reason[:500]},
        )
        for to in family_emails(booking.child.family):
            email_queue(to=to, template="booking_cancelled", context={"booking": booking, "reason": reason},
                        related=booking)
        if booking.date >= timezone.localdate(now, rules.PARIS):
            serve_waiting_list_after_commit(unit_id=booking.unit_id, date=booking.date, now=now)
    return booking


def booking_excuse(*, booking, accept, by, reason="", now=None):
    """Staff excuse (or not, with a reason) a billed absence for which the family sent a certificate; the family
    is e-mailed the decision, and sees it with its reason in « Mes demandes »."""
    now = now or timezone.now()
    reason = reason.strip()
    if not accept and not reason:
        raise BookingError("Indiquez le motif du refus du justificatif (il est envoyé à la famille).")
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related(
            "child__family", "unit__activity").get(pk=booking.pk)
        if booking.state not in (Booking.State.ABSENT_BILLED, Booking.State.EXCUSED):
            raise BookingError("Seule une absence peut être excusée.")
        old = {"state": booking.state, "excuse": booking.excuse}
        booking.state = Booking.State.EXCUSED if accept else Booking.State.ABSENT_BILLED
        booking.excuse = Booking.Excuse.GRANTED if accept else Booking.Excuse.DENIED
        booking.excuse_refusal_reason = "" if accept else reason[:250]
        booking.excuse_decided_at = now
        booking.save()
        AuditLog.objects.create(
            actor=by, family=booking.child.family, action="booking.excuse",
            summary=f"Absence {'excusée' if accept else 'non excusée'} : {booking}"[:300],
            old_values=old, new_values={"state": booking.state, "excuse": booking.excuse,
                                        "reason": booking.excuse_refusal_reason},
        )
        if old["excuse"] != booking.excuse:
            for to in family_emails(booking.child.family):
                email_queue(to=to, template="absence_excuse", context={"booking": booking}, related=booking)
    return booking


def attendance_mark(*, booking, present, by):
    """Mark a child present or absent on the attendance sheet (absent without notice is billed)."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related("child__family", "unit").get(pk=booking.pk)
        allowed = (Booking.State.RESERVED, Booking.State.PRESENT, Booking.State.ABSENT_BILLED)
        if booking.state not in allowed:
            raise BookingError("Cette réservation ne peut pas être pointée.")
        new = Booking.State.PRESENT if present else Booking.State.ABSENT_BILLED
        if booking.state != new:
            AuditLog.objects.create(
                actor=by, family=booking.child.family, action="booking.attendance",
                summary=f"Pointage {'présent' if present else 'absent'} : {booking}"[:300],
                old_values={"state": booking.state}, new_values={"state": new},
            )
            booking.state = new
            booking.save(update_fields=["state", "updated_at"])
    return booking
