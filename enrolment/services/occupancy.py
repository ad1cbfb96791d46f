"""Places: the one code that takes, releases, locks and saves the Occupancy counters.

A booking that holds a place (``Booking.HOLDING_STATES``) counts once on each counter of its (unit,
group, day): the unit-wide counter, and its group's when the group has a capacity of its own
(``loaders.counter_groups``). Every service that changes a place goes through here: the basket commit,
pre-booking, absences, staff decisions and cancellations, the waiting list.

The capacity that decides is read from the database in the statement that locks the counters: the
day's ``CapacityOverride`` for that unit (or unit and group), else the unit's (or group's) capacity.
Never from the catalogue cached in a process: a staff change made through another server process is
obeyed by the next booking. A capacity lowered below the places already taken keeps those bookings
and accepts no new one until enough are cancelled.

The counter row also stores a capacity, the one the check constraint ``booked <= capacity`` compares
with: the backstop against a bug. Each save writes the fresh capacity there, never below the places
taken.

Locking order, so two transactions never wait on each other crosswise: missing counters are created
first (in (unit, group, day) order, conflicts ignored), then every counter needed is locked in one
statement, in id order.
"""
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Case, Count, F, OuterRef, Q, Subquery, When
from django.db.models.functions import Coalesce

from portal.errors import BookingError

from .. import loaders
from ..models import Booking, CapacityOverride, Group, Occupancy, Unit


def counter_keys(unit_id, group, day):
    """The counters a booking of a child of ``group`` on (unit, day) holds a place on:
    [(unit_id, group_id or None, day)]. ``group`` needs ``id`` and ``capacity``."""
    return [(unit_id, g.id if g else None, day) for g in loaders.counter_groups(group)]


def _key_order(key):
    unit_id, group_id, day = key
    return (unit_id, group_id or 0, day)


class Counter:
    """One counter: places taken, the capacity that decides (``limit``, None: unlimited) and the capacity
    stored in its row (``stored``)."""

    __slots__ = ("pk", "booked", "limit", "stored", "changed")

    def __init__(self, pk, booked, limit, stored=None):
        self.pk, self.booked, self.limit, self.stored, self.changed = pk, booked, limit, stored, False

    @property
    def full(self):
        return self.limit is not None and self.booked >= self.limit

    @property
    def stored_capacity(self):
        """What the row's capacity column should hold: the fresh capacity, never below the places taken."""
        return None if self.limit is None else max(self.limit, self.booked)


class Places(dict):
    """Counters by key (unit_id, group_id or None, day), read or locked: take and release places on them.

    Only locked counters (``occupancy_lock``) may be saved (``occupancy_save``)."""

    def __init__(self, counters=(), *, locked=False):
        super().__init__(counters)
        self.locked = locked

    def has_room(self, unit_id, group, day):
        return all(k in self and not self[k].full for k in counter_keys(unit_id, group, day))

    def take(self, unit_id, group, day):
        """Take one place on every counter of (unit, group, day); False (nothing taken) when one is full."""
        keys = counter_keys(unit_id, group, day)
        if not all(k in self and not self[k].full for k in keys):
            return False
        for k in keys:
            self[k].booked += 1
            self[k].changed = True
        return True

    def release(self, unit_id, group, day):
        """Give back the place held on every counter of (unit, group, day)."""
        for k in counter_keys(unit_id, group, day):
            counter = self.get(k)
            if counter is not None and counter.booked > 0:
                counter.booked -= 1
                counter.changed = True


def _keys_q(keys):
    """A filter for exactly the counters of ``keys``: one term per (unit, group), its days listed."""
    days = defaultdict(set)
    for unit_id, group_id, day in keys:
        days[(unit_id, group_id)].add(day)
    q = None
    for (unit_id, group_id), dates in sorted(days.items(), key=lambda item: (item[0][0], item[0][1] or 0)):
        term = Q(unit_id=unit_id, date__in=sorted(dates))
        term &= Q(group__isnull=True) if group_id is None else Q(group_id=group_id)
        q = term if q is None else q | term
    return q


def _fresh_capacity():
    """The capacity that decides, as an SQL expression on a counter row: the day's override of its unit
    (unit-wide counter) or of its unit and group (group counter), else the unit's or the group's capacity."""
    overrides = CapacityOverride.objects.order_by().filter(unit_id=OuterRef("unit_id"), date=OuterRef("date"))
    unit_override = Subquery(overrides.filter(group__isnull=True).values("capacity")[:1])
    group_override = Subquery(overrides.filter(group_id=OuterRef("group_id")).values("capacity")[:1])
    return Case(
        When(group__isnull=True, then=Coalesce(unit_override, F("unit__capacity"))),
        default=Coalesce(group_override, F("group__capacity")),
    )


_COLUMNS = ("id", "unit_id", "group_id", "date", "booked", "capacity", "fresh")


def _counters(rows, *, locked):
    return Places(
        {(unit_id, group_id, day): Counter(pk, booked, fresh, stored)
         for pk, unit_id, group_id, day, booked, stored, fresh in rows},
        locked=locked,
    )


def occupancy_read(keys, *, default_limit):
    """The counters of ``keys`` as they are now, not locked, each with its capacity read from the database;
    a counter not created yet (nobody booked that day) counts no place and ``default_limit(key)`` (e.g.
    from the catalogue). For checks made before locking and for display: only ``occupancy_lock``'s
    counters decide."""
    keys = set(keys)
    if not keys:
        return Places()
    places = _counters(
        Occupancy.objects.order_by().filter(_keys_q(keys)).annotate(fresh=_fresh_capacity()).values_list(*_COLUMNS),
        locked=False,
    )
    for key in keys - set(places):
        places[key] = Counter(None, 0, default_limit(key))
    return places


def occupancy_lock(keys, *, existing=()):
    """Lock the counters of ``keys`` for the rest of the transaction (creating the missing ones) and read
    each one's capacity from the database in the locking statement. ``existing``: keys known to have a
    row already (from an earlier read), not inserted again. Returns Places."""
    keys = set(keys)
    if not keys:
        return Places(locked=True)
    missing = sorted(keys - set(existing), key=_key_order)
    if missing:
        # Created with no place taken and a capacity of 0 until the caller's save writes the fresh one (in
        # this transaction: nobody sees the row before). Another transaction's counter created meanwhile
        # is kept (conflict ignored) and locked as any other.
        Occupancy.objects.bulk_create(
            [Occupancy(unit_id=u, group_id=g, date=d, booked=0, capacity=0) for u, g, d in missing],
            ignore_conflicts=True,
        )
    places = _counters(
        Occupancy.objects.select_for_update(of=("self",)).filter(_keys_q(keys)).annotate(fresh=_fresh_capacity())
        .order_by("id").values_list(*_COLUMNS),
        locked=True,
    )
    if set(places) != keys:  # a counter removed between its creation and the lock (its unit deleted)
        raise BookingError("Les places ont changé pendant l'enregistrement : recommencez.")
    return places


def occupancy_save(places):
    """Write the counters changed (and any stored capacity that differs from the fresh one) in one
    statement."""
    if not places.locked:
        raise ValueError("occupancy_save: only counters locked by occupancy_lock can be saved")
    rows = [Occupancy(pk=c.pk, booked=c.booked, capacity=c.stored_capacity)
            for c in sorted(places.values(), key=lambda c: c.pk) if c.changed or c.stored != c.stored_capacity]
    if len(rows) == 1:
        Occupancy.objects.filter(pk=rows[0].pk).update(booked=rows[0].booked, capacity=rows[0].capacity)
    elif rows:
        Occupancy.objects.bulk_update(rows, ["booked", "capacity"])
    for c in places.values():
        c.stored, c.changed = c.stored_capacity, False


# --------------------------------------------------------------------------- one place
def occupancy_release(*, unit_id, group, day):
    """Give back the place a booking held on (unit, group, day), in the caller's transaction."""
    places = occupancy_lock(counter_keys(unit_id, group, day))
    places.release(unit_id, group, day)
    occupancy_save(places)


def occupancy_has_room(*, unit, group, day):
    """Is there a place left on (unit, group, day) now? Read without lock, as the commit's early check
    reads (counters with their capacity from the database; a day nobody booked yet takes the catalogue's):
    for the waiting list's offers, the booking itself being decided by the commit, on locked counters."""
    overrides = loaders.overrides_for([unit.id], {day})
    places = occupancy_read(counter_keys(unit.id, group, day), default_limit=lambda key: loaders.capacity_for(
        unit, group if key[1] else None, day, overrides))
    return places.has_room(unit.id, group, day)


# --------------------------------------------------------------------------- audit
@dataclass(frozen=True)
class Mismatch:
    unit_id: int
    group_id: int  # None: the unit-wide counter
    date: object
    counted: int  # places the counter says are taken (0: no counter)
    held: int  # bookings holding a place

    def describe(self, units, groups):
        unit = units.get(self.unit_id)
        where = f"{unit.activity.name} – {unit.name}" if unit else f"unité {self.unit_id}"
        if self.group_id is not None:
            group = groups.get(self.group_id)
            where += f", groupe « {group.name if group else self.group_id} »"
        return (f"{where}, {self.date:%d/%m/%Y} : le compteur indique {self.counted} place(s) prise(s), "
                f"{self.held} réservation(s) en tiennent une.")


def occupancy_mismatches(*, since):
    """Compare every counter of the days from ``since`` with the bookings holding a place: the unit-wide
    counters with all of the unit's bookings of the day, the group counters (groups with a capacity)
    with the bookings of the group's children. Returns ([Mismatch], number of counters compared).

    Reads only: a difference is reported, never corrected (the bookings and the counters are the
    record of what happened; staff decide). Each difference found is read a second time, so a booking
    being committed between the two counts is not reported."""
    found, compared = _compare(Q(date__gte=since))
    if not found:
        return [], compared
    again = Q(pk__in=[])
    for m in found:
        again |= Q(unit_id=m.unit_id, date=m.date)
    confirmed, _ = _compare(again)
    keys = {(m.unit_id, m.group_id, m.date) for m in found}
    return [m for m in confirmed if (m.unit_id, m.group_id, m.date) in keys], compared


def _compare(where):
    holding = Booking.objects.order_by().filter(where, state__in=Booking.HOLDING_STATES)
    held = {(u, None, d): n for u, d, n in holding.values("unit_id", "date").annotate(n=Count("id"))
            .values_list("unit_id", "date", "n")}
    held.update({(u, g, d): n for u, g, d, n in holding.filter(enrolment__group__capacity__isnull=False)
                 .values("unit_id", "enrolment__group_id", "date").annotate(n=Count("id"))
                 .values_list("unit_id", "enrolment__group_id", "date", "n")})
    counters = {(u, g, d): n for u, g, d, n in Occupancy.objects.order_by().filter(where).filter(
        Q(group__isnull=True) | Q(group__capacity__isnull=False)).values_list("unit_id", "group_id", "date", "booked")}
    mismatches = [Mismatch(u, g, d, counters.get((u, g, d), 0), held.get((u, g, d), 0))
                  for u, g, d in sorted(set(held) | set(counters), key=lambda k: (k[2], k[0], k[1] or 0))
                  if counters.get((u, g, d), 0) != held.get((u, g, d), 0)]
    return mismatches, len(counters)


def occupancy_audit(*, since, report, limit=200):
    """Report (``report(text)``) each counter that differs from its bookings from ``since`` on, the first
    ``limit`` of them in full. Returns (counters compared, differences)."""
    mismatches, compared = occupancy_mismatches(since=since)
    shown = mismatches[:limit]
    units = Unit.objects.select_related("activity").in_bulk({m.unit_id for m in shown})
    groups = Group.objects.in_bulk({m.group_id for m in shown if m.group_id is not None})
    for m in shown:
        report(m.describe(units, groups))
    if len(mismatches) > limit:
        report(f"… et {len(mismatches) - limit} autre(s) écart(s).")
    return compared, len(mismatches)
