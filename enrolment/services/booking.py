"""Bookings: the basket commit (all or nothing), pre-booking, absences, staff decisions and attendance.

Capacity: lock the Occupancy counter rows (select_for_update), check, then write the bookings and the
counters in the same transaction. The check constraint ``booked <= capacity`` is the backstop.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db import OperationalError, connection, transaction
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from families.models import Child, Guardian
from portal.errors import BookingError
from portal.mail import email_queue, email_queue_many
from portal.models import AuditLog

from .. import loaders, rules
from ..models import Booking, Enrolment, Occupancy, Unit, WaitingListEntry

BOOK, CANCEL = "book", "cancel"
DEADLOCK_ATTEMPTS = 3
RETRYABLE_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure
ACTIVE = ("reserved", "requested")  # what a parent can cancel in a basket


@dataclass(frozen=True, order=True)
class Change:
    date: datetime.date
    child_id: int
    unit_id: int
    action: str  # "book" or "cancel"


def fr_day(day):
    return f"{rules.WEEKDAYS_FR[day.weekday()]} {day:%d/%m/%Y}"


# --------------------------------------------------------------------------- counters
def occupancy_lock(keys, *, units, groups, overrides=None):
    """Lock (creating when missing) the counter rows of ``keys`` = {(unit_id, group_id|None, date)}.

    Returns {key: Occupancy} with each row's capacity refreshed from the catalogue.
    """
    if not keys:
        return {}
    unit_ids = {k[0] for k in keys}
    dates = {k[2] for k in keys}
    if overrides is None:
        overrides = loaders.overrides_for(unit_ids, dates)

    def capacity(key):
        unit, group = units[key[0]], groups.get(key[1]) if key[1] else None
        return loaders.capacity_for(unit, group, key[2], overrides)

    # Insert missing rows in a fixed order so concurrent transactions never wait on each other crosswise.
    ordered = sorted(keys, key=lambda k: (k[0], k[1] or 0, k[2]))
    Occupancy.objects.bulk_create(
        [Occupancy(unit_id=u, group_id=g, date=d, booked=0, capacity=capacity((u, g, d))) for u, g, d in ordered],
        ignore_conflicts=True,
    )
    rows = {}
    for row in Occupancy.objects.select_for_update().filter(unit_id__in=unit_ids, date__in=dates).order_by("id"):
        key = (row.unit_id, row.group_id, row.date)
        if key in keys:
            cap = capacity(key)
            if cap is not None and cap < row.booked:
                cap = row.booked
            row._dirty = row.capacity != cap
            row.capacity = cap
            rows[key] = row
    return rows


_OCCUPANCY_SAVE_SQL = """
UPDATE enrolment_occupancy AS o SET booked = v.booked, capacity = v.capacity
  FROM unnest(%s::bigint[], %s::integer[], %s::integer[]) AS v(id, booked, capacity)
 WHERE o.id = v.id
"""


def occupancy_save(rows):
    """Write the changed counters (locked by occupancy_lock) in one statement."""
    dirty = sorted((r for r in rows.values() if getattr(r, "_dirty", False)), key=lambda r: r.pk)
    if not dirty:
        return
    if connection.vendor != "postgresql":  # the embedded SQLite of the demo has no arrays
        Occupancy.objects.bulk_update(dirty, ["booked", "capacity"])
        return
    with connection.cursor() as cursor:  # raw: bulk_update's CASE WHEN costs more to build than to run
        cursor.execute(_OCCUPANCY_SAVE_SQL, [[r.pk for r in dirty], [r.booked for r in dirty],
                                             [r.capacity for r in dirty]])


def _counter_keys(unit_id, group, day):
    return [(unit_id, g.id if g else None, day) for g in loaders.counter_groups(group)]


def _take(rows, unit_id, group, day):
    """Take one place on every counter of (unit, group, day); False when one of them is full."""
    keys = _counter_keys(unit_id, group, day)
    if any(rows[k].capacity is not None and rows[k].booked >= rows[k].capacity for k in keys):
        return False
    for k in keys:
        rows[k].booked += 1
        rows[k]._dirty = True
    return True


def _release(rows, unit_id, group, day):
    for k in _counter_keys(unit_id, group, day):
        if k in rows and rows[k].booked > 0:
            rows[k].booked -= 1
            rows[k]._dirty = True


# --------------------------------------------------------------------------- basket commit
def booking_commit(*, family, changes, by, now=None, send_email=True):
    """Apply a basket of changes for ``family`` in one transaction, all or nothing.

    ``changes`` is an iterable of Change. Raises BookingError whose ``details`` lists one French message
    per refused day; nothing is written then. Returns {"booked": [...], "cancelled": [...]} of Bookings.
    """
    now = now or timezone.now()
    changes = sorted(set(changes))
    if not changes:
        raise BookingError("Aucune modification à enregistrer.")
    # A deadlock between two commits racing for the same counters rolls the whole basket back: try
    # again (a few times) when this is the outermost transaction, instead of answering an error.
    attempts = 1 if transaction.get_connection().in_atomic_block else DEADLOCK_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                result = _commit(family=family, changes=changes, by=by, now=now)
                if send_email and (result["booked"] or result["cancelled"]):
                    booking_recap_email(family=family, result=result)
            return result
        except OperationalError as exc:
            if attempt == attempts or getattr(exc.__cause__, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise


def _units_for_commit(unit_ids):
    """({unit_id: Unit with its activity}, catalogue): from the cached catalogue, the database for the
    units of activities it does not keep (past seasons)."""
    cat = loaders.catalogue()
    units = {u: cat.units[u] for u in unit_ids if u in cat.units}
    missing = set(unit_ids) - set(units)
    if missing:
        units.update(Unit.objects.select_related("activity__activity_type__structure").in_bulk(missing))
        cat = loaders.catalogue_for({u.activity_id for u in units.values()})
    return units, cat


def _commit(*, family, changes, by, now):
    child_ids = {c.child_id for c in changes}
    unit_ids = {c.unit_id for c in changes}
    dates = {c.date for c in changes}
    units, cat = _units_for_commit(unit_ids)
    activities = {u.activity_id: u.activity for u in units.values()}
    # The validated enrolments of the family's children concerned, with the children: one query.
    # With each: whether the child waits on one of the days, and the family's e-mail addresses (for the
    # recap), so that neither costs a query of its own.
    enrolments, children = {}, {}
    waiting, emails = False, None
    guardian_emails = Guardian.objects.filter(family=family).exclude(email="").values("email")
    postgresql = connection.vendor == "postgresql"
    for e in Enrolment.objects.select_related("child", "group").filter(
        child__family=family, child__is_active=True, child_id__in=child_ids, activity_id__in=activities,
        status=Enrolment.Status.VALIDATED,
    ).annotate(
        waiting=Exists(WaitingListEntry.objects.filter(child_id=OuterRef("child_id"), date__in=dates,
                                                       status__in=WaitingListEntry.ACTIVE_STATUSES)),
        # PostgreSQL arrays; the embedded SQLite of the demo reads the addresses in a query of their own.
        **({"emails": ArraySubquery(guardian_emails)} if postgresql else {}),
    ):
        enrolments[(e.child_id, e.activity_id)] = e
        children[e.child_id] = e.child
        waiting = waiting or e.waiting
        emails = e.emails if postgresql else None
    if not child_ids <= set(children):  # a child without any of those enrolments (an error follows)
        children.update({c.id: c for c in Child.objects.filter(family=family, is_active=True,
                                                               id__in=child_ids - set(children))})
    calendars = {pk: cat.calendars[pk] for pk in activities}
    policies = {pk: cat.policies[pk] for pk in activities}
    # Lock this family's bookings of those days (same-day unit rules are checked against them).
    existing = {
        (b.child_id, b.unit_id, b.date): b
        for b in Booking.objects.select_for_update(of=("self",)).filter(child_id__in=children, date__in=dates)
    }
    errors = []
    to_book, to_cancel = [], []
    for ch in changes:
        child, unit = children.get(ch.child_id), units.get(ch.unit_id)
        if child is None or unit is None:
            errors.append(f"{fr_day(ch.date)} : enfant ou unité inconnu(e).")
            continue
        prefix = f"{fr_day(ch.date)}, {child.first_name}, {unit.activity.name} – {unit.name}"
        enrolment = enrolments.get((child.id, unit.activity_id))
        if enrolment is None:
            errors.append(f"{prefix} : {child.first_name} n'a pas d'inscription validée à cette activité.")
            continue
        status, label = calendars[unit.activity_id].status(ch.date)
        if status != rules.OPEN:
            errors.append(f"{prefix} : {label.lower()}, pas d'accueil ce jour-là.")
            continue
        decision = rules.can_change(ch.date, policies[unit.activity_id], now)
        if not decision.ok:
            errors.append(f"{prefix} : {decision.reason}")
            continue
        booking = existing.get((child.id, unit.id, ch.date))
        if ch.action == BOOK:
            if booking is not None and booking.state in Booking.HOLDING_STATES:
                continue  # already booked: nothing to do
            to_book.append((ch, child, unit, enrolment, booking, prefix))
        else:
            if booking is None or booking.state not in ACTIVE:
                continue  # nothing to cancel
            to_cancel.append((ch, child, unit, enrolment, booking, prefix))

    # Same-day unit rules on the resulting set of units of each child and day.
    per_day = defaultdict(set)
    for (child_id, unit_id, day), b in existing.items():
        if b.state in Booking.HOLDING_STATES:
            per_day[(child_id, day)].add(unit_id)
    for ch, *_ in to_cancel:
        per_day[(ch.child_id, ch.date)].discard(ch.unit_id)
    for ch, *_ in to_book:
        per_day[(ch.child_id, ch.date)].add(ch.unit_id)
    touched = {(ch.child_id, ch.date) for ch, *_ in to_book + to_cancel}
    all_units = set().union(*per_day.values()) if per_day else set()
    incompatible, required = cat.incompatible, cat.required
    names = _UnitNames(units, cat)
    for key in sorted(touched):
        child_id, day = key
        child = children[child_id]
        for a, b in rules.unit_conflicts(per_day[key], incompatible):
            errors.append(f"{fr_day(day)}, {child.first_name} : « {names[a]} » et « {names[b]} » ne peuvent pas "
                          f"être réservés le même jour.")
        for u in rules.missing_requirements(per_day[key], required):
            needed = " ou ".join(f"« {names[r]} »" for r in sorted(required[u]))
            errors.append(f"{fr_day(day)}, {child.first_name} : « {names[u]} » nécessite aussi {needed} ce jour-là.")

    # Capacity: lock the counters, then take and release places.
    groups = {e.group_id: e.group for e in enrolments.values()}
    keys = set()
    for ch, child, unit, enrolment, booking, prefix in to_book + to_cancel:
        keys.update(_counter_keys(unit.id, enrolment.group, ch.date))
    overrides = cat.overrides if unit_ids <= set(cat.units) else loaders.overrides_for(unit_ids, dates)
    rows = occupancy_lock(keys, units=units, groups=groups, overrides=overrides) if not errors else {}
    freed = []
    if not errors:
        for ch, child, unit, enrolment, booking, prefix in to_cancel:
            _release(rows, unit.id, enrolment.group, ch.date)
            freed.append((unit.id, ch.date))
        for ch, child, unit, enrolment, booking, prefix in to_book:
            if not _take(rows, unit.id, enrolment.group, ch.date):
                errors.append(f"{prefix} : complet, plus de place disponible. Vous pouvez inscrire votre enfant "
                              f"sur la liste d'attente depuis le planning.")
    if errors:
        raise BookingError(
            "Aucune modification n'a été enregistrée : " + (errors[0] if len(errors) == 1 else
                                                              f"{len(errors)} jours posent problème."),
            details=errors,
        )

    booked, cancelled = [], []
    new, updated = [], []
    for ch, child, unit, enrolment, booking, prefix in to_book:
        state = Booking.State.REQUESTED if unit.activity.bookings_need_approval else Booking.State.RESERVED
        if booking is None:
            booking = Booking(child=child, unit=unit, date=ch.date, enrolment=enrolment, state=state, booked_by=by)
            new.append(booking)
        else:
            booking.state, booking.enrolment, booking.booked_by = state, enrolment, by
            booking.refusal_reason, booking.decided_at, booking.decided_by = "", None, None
            booking.absence_declared_at, booking.absence_reason, booking.excuse = None, "", ""
            updated.append(booking)
        booking.child, booking.unit = child, unit
        booked.append(booking)
    for ch, child, unit, enrolment, booking, prefix in to_cancel:
        booking.state = Booking.State.CANCELLED
        booking.child, booking.unit = child, unit
        updated.append(booking)
        cancelled.append(booking)
    Booking.objects.bulk_create(new)
    for b in updated:
        b.updated_at = now
    Booking.objects.bulk_update(updated, ["state", "enrolment", "booked_by", "refusal_reason", "decided_at",
                                          "decided_by", "absence_declared_at", "absence_reason", "excuse",
                                          "updated_at"])
    occupancy_save(rows)
    if booked and waiting:
        WaitingListEntry.objects.filter(
            status__in=WaitingListEntry.ACTIVE_STATUSES,
            child_id__in={b.child_id for b in booked}, unit_id__in={b.unit_id for b in booked},
            date__in={b.date for b in booked},
        ).filter(
            _pairs_q(((b.child_id, b.unit_id, b.date) for b in booked))
        ).update(status=WaitingListEntry.Status.BOOKED)
    for unit_id, day in sorted(set(freed), key=lambda x: (x[1], x[0])):
        serve_waiting_list_after_commit(unit_id=unit_id, date=day, now=now)
    return {"booked": booked, "cancelled": cancelled, "emails": sorted(set(emails)) if emails is not None else None}


class _UnitNames(dict):
    """Unit names for the error messages: the basket's and the catalogue's units, others read when needed."""

    def __init__(self, units, cat):
        super().__init__({u.id: u.name for u in units.values()})
        self.cat = cat

    def __missing__(self, unit_id):
        unit = self.cat.units.get(unit_id)
        name = unit.name if unit else Unit.objects.filter(pk=unit_id).values_list("name", flat=True).first()
        self[unit_id] = name or "?"
        return self[unit_id]


def serve_waiting_list_after_commit(*, unit_id, date, now):
    """Offer a freed place to the waiting list in its own transaction, once this one has committed
    (so one family's change never holds another family's rows)."""
    from ..tasks import waiting_list_serve

    transaction.on_commit(lambda: waiting_list_serve.delay(unit_id, date.isoformat(), now.isoformat()))


def _pairs_q(triples):
    q = Q(pk__in=[])
    for child_id, unit_id, day in triples:
        q |= Q(child_id=child_id, unit_id=unit_id, date=day)
    return q


def family_emails(family):
    return sorted({g.email for g in family.guardians.all() if g.email})


def booking_recap_email(*, family, result):
    lines = sorted(
        [(b.date, b.child.first_name, b.unit.activity.name, b.unit.name, "Réservation" if b.state == "reserved"
          else "Demande de réservation") for b in result["booked"]]
        + [(b.date, b.child.first_name, b.unit.activity.name, b.unit.name, "Annulation") for b in result["cancelled"]]
    )
    context = {"family": family, "lines": lines}
    emails = result.get("emails")
    if emails is None:  # not read with the commit (SQLite, or a result built elsewhere)
        emails = family_emails(family)
    # One outbox insert whatever the number of guardians.
    email_queue_many(template="booking_recap", messages=[(to, context, family) for to in emails])


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
    with transaction.atomic():
        taken = set(
            Booking.objects.filter(child_id=enrolment.child_id, unit_id__in=units, date__range=(start, end))
            .values_list("unit_id", "date")
        )
        wanted = [(u, d) for d in days for u in sorted(units) if (u, d) not in taken]
        if not wanted:
            return 0
        keys = set()
        for u, d in wanted:
            keys.update(_counter_keys(u, enrolment.group, d))
        rows = occupancy_lock(keys, units=units, groups={enrolment.group_id: enrolment.group})
        state = Booking.State.REQUESTED if activity.bookings_need_approval else Booking.State.RESERVED
        new = [
            Booking(child_id=enrolment.child_id, unit_id=u, date=d, enrolment=enrolment, state=state)
            for u, d in wanted if _take(rows, u, enrolment.group, d)
        ]
        Booking.objects.bulk_create(new, ignore_conflicts=True)
        occupancy_save(rows)
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
        if booking.state not in ACTIVE:
            raise BookingError("Ce jour n'est pas réservé : aucune absence à déclarer.")
        today = timezone.localdate(now, rules.PARIS)
        if booking.date < today:
            raise BookingError("Ce jour est passé : adressez-vous au service par la messagerie.")
        policy = loaders.policies_for([booking.unit.activity])[booking.unit.activity_id]
        booking.absence_declared_at = now
        booking.absence_reason = reason[:250]
        if rules.cancellation_is_free(booking.date, policy, now) or booking.state == Booking.State.REQUESTED:
            keys = set(_counter_keys(booking.unit_id, booking.enrolment.group, booking.date))
            rows = occupancy_lock(keys, units={booking.unit_id: booking.unit},
                                  groups={booking.enrolment.group_id: booking.enrolment.group})
            _release(rows, booking.unit_id, booking.enrolment.group, booking.date)
            occupancy_save(rows)
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
            keys = set(_counter_keys(booking.unit_id, booking.enrolment.group, booking.date))
            rows = occupancy_lock(keys, units={booking.unit_id: booking.unit},
                                  groups={booking.enrolment.group_id: booking.enrolment.group})
            _release(rows, booking.unit_id, booking.enrolment.group, booking.date)
            occupancy_save(rows)
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


def booking_excuse(*, booking, accept, by):
    """Staff excuse (or not) a billed absence for which the family sent a certificate."""
    with transaction.atomic():
        booking = Booking.objects.select_for_update(of=("self",)).select_related("child__family", "unit").get(pk=booking.pk)
        if booking.state not in (Booking.State.ABSENT_BILLED, Booking.State.EXCUSED):
            raise BookingError("Seule une absence peut être excusée.")
        old = {"state": booking.state, "excuse": booking.excuse}
        booking.state = Booking.State.EXCUSED if accept else Booking.State.ABSENT_BILLED
        booking.excuse = Booking.Excuse.GRANTED if accept else Booking.Excuse.DENIED
        booking.decided_by, booking.decided_at = by, timezone.now()
        booking.save()
        AuditLog.objects.create(
            actor=by, family=booking.child.family, action="booking.excuse",
            summary=f"Absence {'excusée' if accept else 'non excusée'} : {booking}"[:300],
            old_values=old, new_values={"state": booking.state, "excuse": booking.excuse},
        )
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
