"""The basket commit: a family's changes (book or cancel days) applied all or nothing.

On a deadline evening hundreds of parents book the same days, and the Occupancy counter rows of those
days are the only rows their commits share. They are therefore locked last, for as short a time as
possible:

1. one statement reads everything the checks need: the family's bookings of those days (locked: the
   family's own commits, two tabs say, queue on them), its children, their validated enrolments with
   the group's capacity and whether they wait on one of the days, the guardians' e-mail addresses, and
   the counters (read, not locked);
2. the checks (enrolment, opening day, deadline, same-day unit rules, places on the counters just
   read): a day already full is refused here, nothing written and nothing locked;
3. the bookings are written, and the recap e-mail is rendered and recorded in the outbox;
4. last, one statement locks the counters (in id order, so two commits never wait on each other
   crosswise), checks them again and updates them, and the transaction commits. A day filled between
   1 and 4 rolls everything back with the same « complet » message.

The check constraint ``booked <= capacity`` stays the backstop. The embedded SQLite of the demo runs
the same steps through the ORM (no arrays, no row locks there).
"""
from collections import defaultdict, namedtuple

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from families.models import Child, Guardian
from portal.errors import BookingError
from portal.mail import email_queue_many
from portal.sql import fetch_rows

from .. import loaders, rules
from ..models import Booking, Enrolment, Occupancy, Unit, WaitingListEntry
from .booking import (ACTIVE, BOOK, _counter_keys, _release, _take, family_emails, fr_day, occupancy_lock,
                      occupancy_save, serve_waiting_lists_after_commit)

DEADLOCK_ATTEMPTS = 3
# deadlock detected, serialization failure, unique violation (the same family's bookings inserted twice)
RETRYABLE_SQLSTATES = ("40P01", "40001", "23505")

# What the checks need of a validated enrolment: its id and its group's id and capacity.
_Enrolment = namedtuple("_Enrolment", "id child_id activity_id group")
_Group = namedtuple("_Group", "id capacity")


class _Counter:
    """A counter as read before the lock: the place arithmetic of _take/_release runs on it."""

    __slots__ = ("pk", "booked", "capacity", "_dirty")

    def __init__(self, pk, booked, capacity):
        self.pk, self.booked, self.capacity, self._dirty = pk, booked, capacity, False


def booking_commit(*, family, changes, by, now=None, send_email=True):
    """Apply a basket of changes for ``family`` in one transaction, all or nothing.

    ``changes`` is an iterable of Change. Raises BookingError whose ``details`` lists one French message
    per refused day; nothing is written then. Returns {"booked": [...], "cancelled": [...]} of Bookings.
    """
    now = now or timezone.now()
    changes = sorted(set(changes))
    if not changes:
        raise BookingError("Aucune modification à enregistrer.")
    # A deadlock between two commits racing for the same counters, or the family's own two commits
    # inserting the same new day (two tabs: the second's insert collides), rolls the whole basket back:
    # try again (a few times) when this is the outermost transaction, instead of answering an error. The
    # retry reads afresh: a day the other tab booked is then « already booked ».
    attempts = 1 if transaction.get_connection().in_atomic_block else DEADLOCK_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return _commit(family=family, changes=changes, by=by, now=now, send_email=send_email)
        except (OperationalError, IntegrityError) as exc:
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


def _commit(*, family, changes, by, now, send_email=False):
    """The commit inside the caller's transaction (see the module's docstring for the order of the steps)."""
    unit_ids = {c.unit_id for c in changes}
    dates = sorted({c.date for c in changes})
    units, cat = _units_for_commit(unit_ids)
    activities = {u.activity_id for u in units.values()}
    read = _read(family=family, child_ids=sorted({c.child_id for c in changes}), activity_ids=sorted(activities),
                 unit_ids=sorted(unit_ids), dates=dates)
    children, enrolments, existing = read.children, read.enrolments, read.bookings

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
        status, label = cat.calendars[unit.activity_id].status(ch.date)
        if status != rules.OPEN:
            errors.append(f"{prefix} : {label.lower()}, pas d'accueil ce jour-là.")
            continue
        decision = rules.can_change(ch.date, cat.policies[unit.activity_id], now)
        if not decision.ok:
            errors.append(f"{prefix} : {decision.reason}")
            continue
        booking = existing.get((child.id, unit.id, ch.date))  # (id, state) or None
        if ch.action == BOOK:
            if booking is not None and booking[1] in Booking.HOLDING_STATES:
                continue  # already booked: nothing to do
            to_book.append((ch, child, unit, enrolment, booking, prefix))
        else:
            if booking is None or booking[1] not in ACTIVE:
                continue  # nothing to cancel
            to_cancel.append((ch, child, unit, enrolment, booking, prefix))

    errors += _unit_rule_errors(existing, to_book, to_cancel, children, units, cat)

    # Places, on the counters as read (not locked): a day already full is refused without locking.
    overrides = cat.overrides if unit_ids <= set(cat.units) else loaders.overrides_for(unit_ids, set(dates))
    counters = {}
    if not errors:
        for ch, child, unit, enrolment, booking, prefix in to_book + to_cancel:
            for key in _counter_keys(unit.id, enrolment.group, ch.date):
                if key not in counters:
                    pk, booked = read.counters.get(key, (None, 0))
                    counters[key] = _Counter(pk, booked, _capacity(key, units, enrolment.group, overrides))
        errors += _place_errors(counters, to_book, to_cancel)
    if errors:
        _refuse(errors)

    # Writes. The counters come last: nothing below may wait on another family's rows but them.
    booked, cancelled = _write_bookings(to_book, to_cancel, by=by, now=now)
    if booked and read.waiting:
        WaitingListEntry.objects.filter(
            status__in=WaitingListEntry.ACTIVE_STATUSES,
            child_id__in={b.child_id for b in booked}, unit_id__in={b.unit_id for b in booked},
            date__in={b.date for b in booked},
        ).filter(_pairs_q((b.child_id, b.unit_id, b.date) for b in booked)).update(status=WaitingListEntry.Status.BOOKED)
    serve_waiting_lists_after_commit(days=[(ch.unit_id, ch.date) for ch, *_ in to_cancel], now=now)
    result = {"booked": booked, "cancelled": cancelled, "emails": read.emails}
    if send_email and (booked or cancelled):
        booking_recap_email(family=family, result=result)
    _counters_apply(counters, to_book, to_cancel, units=units, overrides=overrides)
    return result


# --------------------------------------------------------------------------- step 1: one read
_Read = namedtuple("_Read", "children enrolments bookings counters waiting emails")

# The family's bookings of the basket's days are locked (FOR UPDATE OF b: only those rows); the rest is
# read. Raw SQL: this runs on every commit, and compiling the equivalent querysets costs more CPU than
# PostgreSQL takes to run them. Columns: kind, a, b, c, day, text, n1, n2, flag.
_READ_SQL = """
WITH mine AS (
    SELECT b.id, b.child_id, b.unit_id, b.date, b.state
      FROM enrolment_booking b JOIN families_child c ON c.id = b.child_id
     WHERE c.family_id = %(family)s AND b.child_id = ANY(%(children)s::bigint[]) AND b.date = ANY(%(dates)s::date[])
       FOR UPDATE OF b
)
SELECT 'b', id, child_id, unit_id, date, state, NULL::bigint, NULL::integer, NULL::boolean FROM mine
UNION ALL
SELECT 'c', c.id, NULL, NULL, NULL, c.first_name, NULL, NULL, NULL
  FROM families_child c WHERE c.family_id = %(family)s AND c.is_active AND c.id = ANY(%(children)s::bigint[])
UNION ALL
SELECT 'e', e.id, e.child_id, e.activity_id, NULL, NULL, e.group_id, g.capacity,
       EXISTS (SELECT 1 FROM enrolment_waitinglistentry w
                WHERE w.child_id = e.child_id AND w.date = ANY(%(dates)s::date[]) AND w.status = ANY(%(waiting)s))
  FROM enrolment_enrolment e JOIN families_child c ON c.id = e.child_id JOIN enrolment_group g ON g.id = e.group_id
 WHERE c.family_id = %(family)s AND c.is_active AND e.child_id = ANY(%(children)s::bigint[])
   AND e.activity_id = ANY(%(activities)s::bigint[]) AND e.status = %(validated)s
UNION ALL
SELECT 'o', o.id, o.group_id, o.unit_id, o.date, NULL, NULL, o.booked, NULL
  FROM enrolment_occupancy o WHERE o.unit_id = ANY(%(units)s::bigint[]) AND o.date = ANY(%(dates)s::date[])
UNION ALL
SELECT 'm', NULL, NULL, NULL, NULL, g.email, NULL, NULL, NULL
  FROM families_guardian g WHERE g.family_id = %(family)s AND g.email <> ''
"""


def _read(*, family, child_ids, activity_ids, unit_ids, dates):
    params = {"family": family.pk, "children": child_ids, "activities": activity_ids, "units": unit_ids,
              "dates": dates, "waiting": list(WaitingListEntry.ACTIVE_STATUSES),
              "validated": Enrolment.Status.VALIDATED}
    rows = fetch_rows(_READ_SQL, params, _read_rows_orm)
    children, enrolments, bookings, counters, emails = {}, {}, {}, {}, set()
    waiting = False
    for kind, a, b, c, day, text, n1, n2, flag in rows:
        if kind == "b":
            bookings[(b, c, day)] = (a, text)
        elif kind == "c":
            children[a] = Child(id=a, first_name=text, family_id=family.pk)
        elif kind == "e":
            enrolments[(b, c)] = _Enrolment(a, b, c, _Group(n1, n2))
            waiting = waiting or bool(flag)
        elif kind == "o":
            counters[(c, b, day)] = (a, n2)
        else:
            emails.add(text)
    return _Read(children, enrolments, bookings, counters, waiting, sorted(emails))


def _read_rows_orm(params):
    """The rows of _READ_SQL through the ORM, for the embedded SQLite of the demo (five queries)."""
    family, children, dates = params["family"], params["children"], params["dates"]
    bookings = (Booking.objects.select_for_update(of=("self",)).order_by()
                .filter(child__family_id=family, child_id__in=children, date__in=dates)
                .values_list("id", "child_id", "unit_id", "date", "state"))
    kids = Child.objects.filter(family_id=family, is_active=True, id__in=children).values_list("id", "first_name")
    waits = WaitingListEntry.objects.filter(child_id=OuterRef("child_id"), date__in=dates, status__in=params["waiting"])
    enrolments = (Enrolment.objects.order_by()
                  .filter(child__family_id=family, child__is_active=True, child_id__in=children,
                          activity_id__in=params["activities"], status=params["validated"])
                  .annotate(waits=Exists(waits))
                  .values_list("id", "child_id", "activity_id", "group_id", "group__capacity", "waits"))
    counters = (Occupancy.objects.order_by().filter(unit_id__in=params["units"], date__in=dates)
                .values_list("id", "group_id", "unit_id", "date", "booked"))
    emails = Guardian.objects.filter(family_id=family).exclude(email="").values_list("email", flat=True)
    return (
        [("b", pk, child, unit, day, state, None, None, None) for pk, child, unit, day, state in bookings]
        + [("c", pk, None, None, None, name, None, None, None) for pk, name in kids]
        + [("e", pk, child, activity, None, None, group, cap, w) for pk, child, activity, group, cap, w in enrolments]
        + [("o", pk, group, unit, day, None, None, n, None) for pk, group, unit, day, n in counters]
        + [("m", None, None, None, None, email, None, None, None) for email in emails]
    )


# --------------------------------------------------------------------------- step 2: checks
def _unit_rule_errors(existing, to_book, to_cancel, children, units, cat):
    """Same-day unit rules (incompatible, required units) on the resulting units of each child and day."""
    per_day = defaultdict(set)
    for (child_id, unit_id, day), (pk, state) in existing.items():
        if state in Booking.HOLDING_STATES:
            per_day[(child_id, day)].add(unit_id)
    for ch, *_ in to_cancel:
        per_day[(ch.child_id, ch.date)].discard(ch.unit_id)
    for ch, *_ in to_book:
        per_day[(ch.child_id, ch.date)].add(ch.unit_id)
    touched = {(ch.child_id, ch.date) for ch, *_ in to_book + to_cancel}
    incompatible, required = cat.incompatible, cat.required
    names = _UnitNames(units, cat)
    errors = []
    for key in sorted(touched):
        child_id, day = key
        child = children[child_id]
        for a, b in rules.unit_conflicts(per_day[key], incompatible):
            errors.append(f"{fr_day(day)}, {child.first_name} : « {names[a]} » et « {names[b]} » ne peuvent pas "
                          f"être réservés le même jour.")
        for u in rules.missing_requirements(per_day[key], required):
            needed = " ou ".join(f"« {names[r]} »" for r in sorted(required[u]))
            errors.append(f"{fr_day(day)}, {child.first_name} : « {names[u]} » nécessite aussi {needed} ce jour-là.")
    return errors


def _capacity(key, units, group, overrides):
    unit_id, group_id, day = key
    return loaders.capacity_for(units[unit_id], group if group_id else None, day, overrides)


def _place_errors(counters, to_book, to_cancel):
    """Release the cancelled places, then take the booked ones, on ``counters`` (changed in place): one
    « complet » message per booking that finds a counter full. A counter's capacity never goes below
    its places already taken (a capacity lowered after bookings keeps them)."""
    for row in counters.values():
        if row.capacity is not None and row.capacity < row.booked:
            row.capacity = row.booked
    errors = []
    for ch, child, unit, enrolment, booking, prefix in to_cancel:
        _release(counters, unit.id, enrolment.group, ch.date)
    for ch, child, unit, enrolment, booking, prefix in to_book:
        if not _take(counters, unit.id, enrolment.group, ch.date):
            errors.append(f"{prefix} : complet, plus de place disponible. Vous pouvez inscrire votre enfant "
                          f"sur la liste d'attente depuis le planning.")
    return errors


def _refuse(errors):
    raise BookingError(
        "Aucune modification n'a été enregistrée : " + (errors[0] if len(errors) == 1 else
                                                          f"{len(errors)} jours posent problème."),
        details=errors,
    )


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


# --------------------------------------------------------------------------- step 3: bookings
_INSERT_SQL = """
INSERT INTO enrolment_booking (child_id, unit_id, date, enrolment_id, state, booked_by_id, created_at, updated_at,
                               refusal_reason, absence_reason, medical_certificate, excuse)
SELECT v.child_id, v.unit_id, v.date, v.enrolment_id, v.state, %(by)s::integer, %(now)s, %(now)s, '', '', '', ''
  FROM unnest(%(children)s::bigint[], %(units)s::bigint[], %(dates)s::date[], %(enrolments)s::bigint[],
              %(states)s::varchar[]) WITH ORDINALITY AS v(child_id, unit_id, date, enrolment_id, state, n)
 ORDER BY v.n
RETURNING id
"""

# A booked day starts afresh (a cancelled or refused row booked again); a cancelled one only changes state.
_UPDATE_SQL = """
UPDATE enrolment_booking AS b
   SET state = v.state, updated_at = %(now)s,
       enrolment_id = CASE WHEN v.book THEN v.enrolment_id ELSE b.enrolment_id END,
       booked_by_id = CASE WHEN v.book THEN %(by)s::integer ELSE b.booked_by_id END,
       refusal_reason = CASE WHEN v.book THEN '' ELSE b.refusal_reason END,
       decided_at = CASE WHEN v.book THEN NULL ELSE b.decided_at END,
       decided_by_id = CASE WHEN v.book THEN NULL ELSE b.decided_by_id END,
       absence_declared_at = CASE WHEN v.book THEN NULL ELSE b.absence_declared_at END,
       absence_reason = CASE WHEN v.book THEN '' ELSE b.absence_reason END,
       excuse = CASE WHEN v.book THEN '' ELSE b.excuse END
  FROM unnest(%(ids)s::bigint[], %(states)s::varchar[], %(enrolments)s::bigint[], %(book)s::boolean[])
       AS v(id, state, enrolment_id, book)
 WHERE b.id = v.id
"""


def _write_bookings(to_book, to_cancel, *, by, now):
    """Insert the new bookings and update the others: ([booked Booking], [cancelled Booking]), each with its
    child and unit set (for the recap e-mail)."""
    booked, cancelled, new, updated = [], [], [], []
    by_id = by.pk if by is not None else None
    for ch, child, unit, enrolment, booking, prefix in to_book:
        state = Booking.State.REQUESTED if unit.activity.bookings_need_approval else Booking.State.RESERVED
        b = Booking(id=booking[0] if booking else None, child_id=child.id, unit_id=unit.id, date=ch.date,
                    enrolment_id=enrolment.id, state=state, booked_by_id=by_id, created_at=now, updated_at=now)
        (updated if booking else new).append((b, True))
        booked.append(b)
    for ch, child, unit, enrolment, booking, prefix in to_cancel:
        b = Booking(id=booking[0], child_id=child.id, unit_id=unit.id, date=ch.date, enrolment_id=enrolment.id,
                    state=Booking.State.CANCELLED, updated_at=now)
        updated.append((b, False))
        cancelled.append(b)
    for b, (ch, child, unit, *_) in zip(booked + cancelled, to_book + to_cancel):
        b.child, b.unit = child, unit  # shared catalogue unit: read only
    if connection.vendor != "postgresql":
        _write_bookings_orm(new, updated, by=by, now=now)
        return booked, cancelled
    with connection.cursor() as cursor:
        if new:
            cursor.execute(_INSERT_SQL, {
                "by": by_id, "now": now, "children": [b.child_id for b, _ in new], "units": [b.unit_id for b, _ in new],
                "dates": [b.date for b, _ in new], "enrolments": [b.enrolment_id for b, _ in new],
                "states": [b.state for b, _ in new],
            })
            for (b, _), (pk,) in zip(new, cursor.fetchall()):
                b.id = pk
        if updated:
            cursor.execute(_UPDATE_SQL, {
                "by": by_id, "now": now, "ids": [b.id for b, _ in updated], "states": [b.state for b, _ in updated],
                "enrolments": [b.enrolment_id for b, _ in updated], "book": [book for _, book in updated],
            })
    return booked, cancelled


def _write_bookings_orm(new, updated, *, by, now):
    Booking.objects.bulk_create([b for b, _ in new])
    for b, book in updated:
        if book:
            Booking.objects.filter(pk=b.pk).update(
                state=b.state, enrolment_id=b.enrolment_id, booked_by=by, refusal_reason="", decided_at=None,
                decided_by=None, absence_declared_at=None, absence_reason="", excuse="", updated_at=now)
        else:
            Booking.objects.filter(pk=b.pk).update(state=b.state, updated_at=now)


def _pairs_q(triples):
    q = Q(pk__in=[])
    for child_id, unit_id, day in triples:
        q |= Q(child_id=child_id, unit_id=unit_id, date=day)
    return q


def booking_recap_email(*, family, result):
    lines = sorted(
        [(b.date, b.child.first_name, b.unit.activity.name, b.unit.name, "Réservation" if b.state == "reserved"
          else "Demande de réservation") for b in result["booked"]]
        + [(b.date, b.child.first_name, b.unit.activity.name, b.unit.name, "Annulation") for b in result["cancelled"]]
    )
    context = {"family": family, "lines": lines}
    emails = result.get("emails")
    if emails is None:  # a result built elsewhere
        emails = family_emails(family)
    if not emails:
        return
    # One outbox insert whatever the number of guardians.
    email_queue_many(template="booking_recap", messages=[(to, context, family) for to in emails])


# --------------------------------------------------------------------------- step 4: counters, last
# One statement: lock the counters in id order, check the places again on the locked rows and write them;
# nothing is written when one of them no longer fits (``fits`` false). The capacity is refreshed from the
# catalogue, never below the places already taken. The first bookings of a day create its counters here,
# places taken (rows "n"); a counter another commit created meanwhile is left out (not returned).
_COUNTERS_SQL = """
WITH v AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(units)s::bigint[], %(groups)s::bigint[], %(dates)s::date[],
                         %(deltas)s::integer[], %(capacities)s::integer[])
           AS v(id, unit_id, group_id, date, delta, capacity)
), created AS (
    INSERT INTO enrolment_occupancy (unit_id, group_id, date, booked, capacity)
    SELECT unit_id, group_id, date, GREATEST(delta, 0), capacity FROM v WHERE id IS NULL
     ORDER BY unit_id, group_id NULLS FIRST, date
        ON CONFLICT DO NOTHING
    RETURNING id, unit_id, group_id, date
), locked AS MATERIALIZED (
    SELECT o.id, o.booked FROM enrolment_occupancy o WHERE o.id = ANY(%(ids)s::bigint[]) ORDER BY o.id FOR UPDATE
), checked AS (
    SELECT l.id, l.booked, v.delta, v.capacity,
           (v.delta <= 0 OR v.capacity IS NULL OR l.booked + v.delta <= v.capacity) AS fits
      FROM locked l JOIN v ON v.id = l.id
), written AS (
    UPDATE enrolment_occupancy o
       SET booked = GREATEST(k.booked + k.delta, 0),
           capacity = CASE WHEN k.capacity IS NULL THEN NULL ELSE GREATEST(k.capacity, k.booked) END
      FROM checked k
     WHERE o.id = k.id AND NOT EXISTS (SELECT 1 FROM checked c WHERE NOT c.fits)
    RETURNING o.id
)
SELECT 'o', k.id, NULL::bigint, NULL::bigint, NULL::date, k.booked, k.fits, (SELECT count(*) FROM written)
  FROM checked k
UNION ALL
SELECT 'n', c.id, c.unit_id, c.group_id, c.date, 0, TRUE, NULL FROM created c
"""


def _counters_apply(counters, to_book, to_cancel, *, units, overrides):
    """Step 4: take and release the places on the locked counters (creating a day's first ones); a
    counter filled since the read refuses the basket (BookingError: the transaction rolls back)."""
    if not counters:
        return
    if connection.vendor != "postgresql":
        _counters_apply_orm(counters, to_book, to_cancel, units=units, overrides=overrides)
        return
    delta, capacity = defaultdict(int), {}
    for sign, items in ((1, to_book), (-1, to_cancel)):
        for ch, child, unit, enrolment, booking, prefix in items:
            for key in _counter_keys(unit.id, enrolment.group, ch.date):
                delta[key] += sign
                capacity[key] = _capacity(key, units, enrolment.group, overrides)
    keys = sorted(counters, key=lambda k: (counters[k].pk or 0, k[0], k[1] or 0, k[2]))
    booked, refused = _counters_write(keys, counters, delta, capacity)
    missing = [k for k in keys if counters[k].pk is None]
    if missing and not refused:
        # Created by another commit between the read and now (their first bookings of the day too): read
        # their ids, then lock and write them as the others.
        _counters_ids(missing, counters)
        more, refused = _counters_write(missing, counters, delta, capacity)
        booked.update(more)
    if refused:
        # A day filled (or a counter removed) since the read: the messages from the locked values.
        fresh = {k: _Counter(counters[k].pk, booked.get(counters[k].pk, 0), capacity[k]) for k in keys}
        _refuse(_place_errors(fresh, to_book, to_cancel) or ["Les places ont changé pendant l'enregistrement : "
                                                             "cliquez à nouveau sur « Terminer »."])


def _counters_write(keys, counters, delta, capacity):
    """Run _COUNTERS_SQL for ``keys``: ({counter id: places taken before}, refused). Sets the ids of the
    counters it created; those another commit created first keep ``pk`` None."""
    with connection.cursor() as cursor:
        cursor.execute(_COUNTERS_SQL, {
            "ids": [counters[k].pk for k in keys], "units": [k[0] for k in keys], "groups": [k[1] for k in keys],
            "dates": [k[2] for k in keys], "deltas": [delta[k] for k in keys],
            "capacities": [capacity[k] for k in keys],
        })
        rows = cursor.fetchall()
    booked, written, existing = {}, None, 0
    for kind, pk, unit_id, group_id, day, n, fits, count in rows:
        if kind == "n":
            counters[(unit_id, group_id, day)].pk = pk
            continue
        existing += 1
        booked[pk] = n
        written = count
        if not fits:
            return booked, True
    expected = sum(1 for k in keys if counters[k].pk is not None) - sum(1 for kind, *_ in rows if kind == "n")
    if existing != expected:
        return booked, True  # a counter removed since the read
    if existing and written != existing:
        raise RuntimeError(f"booking commit: {written} counter(s) written out of {existing}")
    return booked, False


def _counters_ids(keys, counters):
    for pk, u, g, d in Occupancy.objects.filter(unit_id__in={k[0] for k in keys}, date__in={k[2] for k in keys}) \
            .order_by().values_list("id", "unit_id", "group_id", "date"):
        if (u, g, d) in counters and counters[(u, g, d)].pk is None:
            counters[(u, g, d)].pk = pk


def _counters_apply_orm(counters, to_book, to_cancel, *, units, overrides):
    """Step 4 through the ORM (the demo's SQLite): lock (create) the rows, take and release, save."""
    groups = {}
    for ch, child, unit, enrolment, booking, prefix in to_book + to_cancel:
        groups[enrolment.group.id] = enrolment.group
    rows = occupancy_lock(set(counters), units=units, groups=groups, overrides=overrides)
    errors = _place_errors(rows, to_book, to_cancel)
    if errors:
        _refuse(errors)
    occupancy_save(rows)
