"""Waiting list: join a full day; when a place frees, the first child waiting gets it (automatic booking
when the family opted in) or is offered it by e-mail; expired offers pass to the next child."""
import datetime

from django.db import transaction
from django.utils import timezone

from portal.errors import BookingError
from portal.mail import email_queue

from ..models import Booking, Enrolment, WaitingListEntry
from .booking import BOOK, Change, family_emails
from .commit import booking_commit_in_transaction, booking_recap_email
from .occupancy import occupancy_has_room

OFFER_HOURS = 24


def waiting_list_join(*, child, unit, date, by, auto_book=False, now=None):
    """Put ``child`` on the waiting list of a full (unit, day)."""
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = Enrolment.objects.filter(
            child=child, activity_id=unit.activity_id, status=Enrolment.Status.VALIDATED
        ).first()
        if enrolment is None:
            raise BookingError(f"{child.first_name} n'a pas d'inscription validée à cette activité.")
        if Booking.objects.filter(child=child, unit=unit, date=date, state__in=Booking.HOLDING_STATES).exists():
            raise BookingError("Ce jour est déjà réservé pour cet enfant.")
        entry, created = WaitingListEntry.objects.get_or_create(
            child=child, unit=unit, date=date, status__in=WaitingListEntry.ACTIVE_STATUSES,
            defaults={"enrolment": enrolment, "auto_book": auto_book, "created_at": now,
                      "status": WaitingListEntry.Status.WAITING},
        )
        if not created and entry.auto_book != auto_book:
            entry.auto_book = auto_book
            entry.save(update_fields=["auto_book"])
    return entry


def waiting_list_leave(*, entry):
    WaitingListEntry.objects.filter(pk=entry.pk, status__in=WaitingListEntry.ACTIVE_STATUSES).update(
        status=WaitingListEntry.Status.CANCELLED
    )


def waiting_list_place_freed(*, unit_id, date, now=None):
    """Give a freed place of (unit, day) to the first child waiting. Call inside the freeing transaction.

    Returns the entry served, or None.
    """
    now = now or timezone.now()
    if WaitingListEntry.objects.filter(unit_id=unit_id, date=date, status=WaitingListEntry.Status.OFFERED).exists():
        return None  # an offer is running; the expiry job moves on when it lapses
    entry = (
        # Only the entry is locked (of=self): locking its child, family and unit rows too would make the
        # booking commits' foreign-key checks on them wait behind this task.
        WaitingListEntry.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("child__family", "unit__activity", "enrolment__group")
        .filter(unit_id=unit_id, date=date, status=WaitingListEntry.Status.WAITING)
        .order_by("created_at", "id").first()
    )
    if entry is None or not _has_free_place(entry):
        return None
    family = entry.child.family
    if entry.auto_book:
        try:
            with transaction.atomic():
                result = booking_commit_in_transaction(
                    family=family, changes=[Change(date, entry.child_id, unit_id, BOOK)], by=None, now=now
                )
        except BookingError:
            entry.status = WaitingListEntry.Status.EXPIRED
            entry.save(update_fields=["status"])
            return waiting_list_place_freed(unit_id=unit_id, date=date, now=now)
        entry.status = WaitingListEntry.Status.BOOKED
        entry.save(update_fields=["status"])
        booking_recap_email(family=family, result=result)
        return entry
    entry.status = WaitingListEntry.Status.OFFERED
    entry.offered_at = now
    entry.offer_expires_at = now + datetime.timedelta(hours=OFFER_HOURS)
    entry.save(update_fields=["status", "offered_at", "offer_expires_at"])
    for to in family_emails(family):
        email_queue(to=to, template="waiting_list_offer", context={"entry": entry}, related=entry)
    return entry


def _has_free_place(entry):
    return occupancy_has_room(unit=entry.unit, group=entry.enrolment.group, day=entry.date)


def waiting_list_expire_offers(*, now=None):
    """Expire lapsed offers and offer the place to the next child waiting. Idempotent.

    Returns the number of offers expired.
    """
    now = now or timezone.now()
    expired = 0
    lapsed = list(
        WaitingListEntry.objects.filter(status=WaitingListEntry.Status.OFFERED, offer_expires_at__lte=now)
        .values_list("pk", "unit_id", "date")
    )
    for pk, unit_id, day in lapsed:
        with transaction.atomic():
            n = WaitingListEntry.objects.filter(pk=pk, status=WaitingListEntry.Status.OFFERED).update(
                status=WaitingListEntry.Status.EXPIRED
            )
            if n and day >= timezone.localdate(now):
                waiting_list_place_freed(unit_id=unit_id, date=day, now=now)
            expired += n
    return expired


def waiting_list_serve_waiting(*, now=None):
    """Serve every day from today on where children wait (a day whose offer runs is left to it): the freed place whose serving
    task was never queued (broker down at the freeing commit) still reaches the waiting list. Idempotent:
    a day without a free place is left as it is. Returns the number of entries served (offered or booked)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = (WaitingListEntry.objects.filter(status=WaitingListEntry.Status.WAITING, date__gte=today)
            .order_by("date", "unit_id").values_list("unit_id", "date").distinct())
    served = 0
    for unit_id, day in list(days):
        with transaction.atomic():
            served += waiting_list_place_freed(unit_id=unit_id, date=day, now=now) is not None
    return served
