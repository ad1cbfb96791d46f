"""The basket commit: a family's changes (book or cancel days) applied all or nothing.

On a deadline evening hundreds of parents book the same days, and the Occupancy counter rows of those
days are the only rows their commits share. They are therefore locked last, for as short a time as
possible:

1. one read of everything the checks need (a few queries): the family's bookings of those days
   (locked: the family's own commits, two tabs say, queue on them), its children, their validated
   enrolments with the group's capacity and whether they wait on one of the days, and the counters
   (read, not locked, with their capacity read from the database);
2. the checks (enrolment, opening day, deadline, same-day unit rules, places on the counters just
   read): a day already full is refused here, nothing written and nothing locked;
3. the bookings are written, and the recap e-mail is rendered and recorded in the outbox;
4. last, ``occupancy.occupancy_lock`` locks the counters in id order (so two commits never wait on each
   other crosswise) and reads their capacity from the database; the places are checked again on them
   and saved, and the transaction commits. A day filled (or a capacity lowered) between 1 and 4 rolls
   everything back with the same « complet » message.

The check constraint ``booked <= capacity`` stays the backstop. The same code runs on PostgreSQL and on
the embedded SQLite (which has no row locks: it lets one writer at a time in).
"""
from collections import namedtuple

from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Exists, FilteredRelation, OuterRef, Q
from django.utils import timezone

from families.models import Child, Guardian
from portal.errors import BookingError
from portal.mail import email_queue_many

from .. import loaders, rules
from ..requests import request_store
from ..selectors import booking_confirmation
from ..models import Booking, Enrolment, Unit, WaitingListEntry
from .booking import ACTIVE, BOOK, family_emails, fr_day, serve_waiting_lists_after_commit
from .occupancy import counter_keys, occupancy_lock, occupancy_read, occupancy_save

DEADLOCK_ATTEMPTS = 3
# deadlock detected, serialization failure, unique violation (the same family's bookings inserted twice)
RETRYABLE_SQLSTATES = ("40P01", "40001", "23505")

# What the checks need of a validated enrolment: its id and its group's id and capacity.
_Enrolment = namedtuple("_Enrolment", "id child_id activity_id group")
_Group = namedtuple("_Group", "id capacity")


def booking_commit(*, family, changes, by, now=None, send_email=True):
    """Apply a basket of changes for ``family`` in one transaction, all or nothing.

    ``changes`` is an iterable of Change. Raises BookingError whose ``details`` lists one French message
    per refused day; nothing is written then. Returns {"booked": [...], "cancelled": [...]} of Bookings.
    """
    now = now or timezone.now()
    # A deadlock between two commits racing for the same counters, or the family's own two commits
    # inserting the same new day (two tabs: the second's insert collides), rolls the whole basket back:
    # try again (a few times) when this is the outermost transaction, instead of answering an error. The
    # retry reads afresh: a day the other tab booked is then « already booked ».
    attempts = 1 if transaction.get_connection().in_atomic_block else DEADLOCK_ATTEMPTS
    for attempt in range(1, attempts + 1):
        try:
            with transaction.atomic():
                return booking_commit_in_transaction(family=family, changes=changes, by=by, now=now,
                                                     send_email=send_email)
        except (OperationalError, IntegrityError) as exc:
            if attempt == attempts or getattr(exc.__cause__, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise


def booking_commit_in_transaction(*, family, changes, by, now, send_email=False):
    """``booking_commit`` inside the caller's transaction, without retry (e.g. the waiting list booking a
    freed place in a savepoint): the caller rolls back on BookingError. Same result."""
    changes = sorted(set(changes))
    if not changes:
        raise BookingError("Aucune modification à enregistrer.")
    return _commit(family=family, changes=changes, by=by, now=now, send_email=send_email)


def _units_for_commit(unit_ids):
    """({unit_id: Unit with its activity}, catalogue): from the cached catalogue, the database for the
    units of activities it does not keep (past seasons). Names, calendars and rules only: the capacities
    that decide are read with the counters. ``verified``: the catalogue is checked against the
    configuration version in the database, so a closure or a deadline staff changed on another server
    process decides this commit at once (a page may be stale for a moment; a booking never is)."""
    cat = loaders.catalogue(verified=True)
    units = {u: cat.units[u] for u in unit_ids if u in cat.units}
    missing = set(unit_ids) - set(units)
    if missing:
        units.update(Unit.objects.select_related("activity__activity_type__structure").in_bulk(missing))
        cat = loaders.catalogue_for({u.activity_id for u in units.values()}, verified=True)
    return units, cat


def _commit(*, family, changes, by, now, send_email=False):
    """The commit inside the caller's transaction (see the module's docstring for the order of the steps)."""
    unit_ids = {c.unit_id for c in changes}
    dates = sorted({c.date for c in changes})
    units, cat = _units_for_commit(unit_ids)
    activities = {u.activity_id for u in units.values()}
    read = _read(family=family, child_ids=sorted({c.child_id for c in changes}), activity_ids=sorted(activities),
                 dates=dates)
    children, enrolments, existing = read.children, read.enrolments, read.bookings

    errors = []
    to_book, to_cancel, to_ask = [], [], []
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
        if decision.request:  # request phase: asked (or withdrawn), no place taken (requests.py)
            to_ask.append(ch)
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

    # Places, on the counters as read (not locked): a day already full is refused without locking. A day
    # nobody booked yet has no counter: the catalogue's capacity stands in until the lock reads it.
    keys = set()
    for ch, child, unit, enrolment, booking, prefix in to_book + to_cancel:
        keys.update(counter_keys(unit.id, enrolment.group, ch.date))
    counters = None
    if keys and not errors:
        overrides = cat.overrides if unit_ids <= set(cat.units) else loaders.overrides_for(unit_ids, set(dates))
        groups = {e.group.id: e.group for e in enrolments.values()}
        counters = occupancy_read(keys, default_limit=lambda key: loaders.capacity_for(
            units[key[0]], groups[key[1]] if key[1] else None, key[2], overrides))
        errors += _place_errors(counters, to_book, to_cancel)
    if errors:
        _refuse(errors)
    asked = withdrawn = 0
    if to_ask:
        asked, withdrawn = request_store().record(family=family, changes=to_ask, by=by, now=now)

    # Writes. The counters come last: nothing below may wait on another family's rows but them.
    booked, cancelled = _write_bookings(to_book, to_cancel, by=by, now=now)
    if booked and read.waiting:
        WaitingListEntry.objects.filter(
            status__in=WaitingListEntry.ACTIVE_STATUSES,
            child_id__in={b.child_id for b in booked}, unit_id__in={b.unit_id for b in booked},
            date__in={b.date for b in booked},
        ).filter(_pairs_q((b.child_id, b.unit_id, b.date) for b in booked)).update(status=WaitingListEntry.Status.BOOKED)
    serve_waiting_lists_after_commit(days=[(ch.unit_id, ch.date) for ch, *_ in to_cancel], now=now)
    result = {"booked": booked, "cancelled": cancelled, "asked": asked, "withdrawn": withdrawn}
    if send_email and (booked or cancelled):
        result["emails"] = _family_emails(family)
        booking_recap_email(family=family, result=result)
    if keys:
        _counters_apply(keys, counters, to_book, to_cancel)
    return result


# --------------------------------------------------------------------------- step 1: the read
_Read = namedtuple("_Read", "children enrolments bookings waiting")


def _read(*, family, child_ids, activity_ids, dates):
    """What the checks need, in two queries. The family's bookings of the basket's days are locked
    (only those rows: ``of=self``), the rest is read."""
    bookings = {
        (child_id, unit_id, day): (pk, state)
        for pk, child_id, unit_id, day, state in Booking.objects.select_for_update(of=("self",)).order_by("id")
        .filter(child__family_id=family.pk, child_id__in=child_ids, date__in=dates)
        .values_list("id", "child_id", "unit_id", "date", "state")
    }
    # The family's children of the basket, each with its validated enrolments in the basket's activities
    # (a row per enrolment, one row with no enrolment for a child that has none).
    validated = FilteredRelation("enrolments", condition=Q(enrolments__activity_id__in=activity_ids,
                                                            enrolments__status=Enrolment.Status.VALIDATED))
    waits = WaitingListEntry.objects.filter(child_id=OuterRef("id"), date__in=dates,
                                            status__in=WaitingListEntry.ACTIVE_STATUSES)
    children, enrolments, waiting = {}, {}, False
    for child_id, name, pk, activity_id, group_id, capacity, w in (
        Child.objects.order_by().filter(family_id=family.pk, is_active=True, id__in=child_ids)
        .annotate(validated=validated, waits=Exists(waits))
        .values_list("id", "first_name", "validated__id", "validated__activity_id", "validated__group_id",
                     "validated__group__capacity", "waits")
    ):
        children[child_id] = Child(id=child_id, first_name=name, family_id=family.pk)
        if pk is not None:
            enrolments[(child_id, activity_id)] = _Enrolment(pk, child_id, activity_id, _Group(group_id, capacity))
            waiting = waiting or w
    return _Read(children, enrolments, bookings, waiting)


def _family_emails(family):
    return sorted(set(Guardian.objects.order_by().filter(family_id=family.pk).exclude(email="")
                      .values_list("email", flat=True)))


# --------------------------------------------------------------------------- step 2: checks
def _unit_rule_errors(existing, to_book, to_cancel, children, units, cat):
    """Same-day unit rules (incompatible, required units) on the resulting units of each child and day."""
    per_day = {}
    for (child_id, unit_id, day), (pk, state) in existing.items():
        if state in Booking.HOLDING_STATES:
            per_day.setdefault((child_id, day), set()).add(unit_id)
    for ch, *_ in to_cancel:
        per_day.setdefault((ch.child_id, ch.date), set()).discard(ch.unit_id)
    for ch, *_ in to_book:
        per_day.setdefault((ch.child_id, ch.date), set()).add(ch.unit_id)
    touched = {(ch.child_id, ch.date) for ch, *_ in to_book + to_cancel}
    names = _UnitNames(units, cat)
    errors = []
    for key in sorted(touched):
        child_id, day = key
        child = children[child_id]
        errors += [f"{fr_day(day)}, {child.first_name} : {problem}"
                   for problem in rules.unit_rule_problems(per_day[key], cat.incompatible, cat.required, names)]
    return errors


def _place_errors(places, to_book, to_cancel):
    """Release the cancelled places, then take the booked ones, on ``places`` (changed in place): one
    « complet » message per booking that finds a counter full."""
    errors = []
    for ch, child, unit, enrolment, booking, prefix in to_cancel:
        places.release(unit.id, enrolment.group, ch.date)
    for ch, child, unit, enrolment, booking, prefix in to_book:
        if not places.take(unit.id, enrolment.group, ch.date):
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
def _write_bookings(to_book, to_cancel, *, by, now):
    """Insert the new bookings and update the others: ([booked Booking], [cancelled Booking]), each with its
    child and unit set (for the recap e-mail). One insert, one update for the cancellations, and one
    update per (state, enrolment) for the days booked again (a cancelled or refused row starts afresh, its
    creation time too: « Mes demandes » dates a booking request by it)."""
    booked, cancelled, new, again = [], [], [], {}
    for ch, child, unit, enrolment, booking, prefix in to_book:
        state = Booking.State.REQUESTED if unit.activity.bookings_need_approval else Booking.State.RESERVED
        b = Booking(id=booking[0] if booking else None, child_id=child.id, unit_id=unit.id, date=ch.date,
                    enrolment_id=enrolment.id, state=state, booked_by=by, created_at=now, updated_at=now)
        if booking:
            again.setdefault((state, enrolment.id), []).append(b.id)
        else:
            new.append(b)
        booked.append(b)
    for ch, child, unit, enrolment, booking, prefix in to_cancel:
        cancelled.append(Booking(id=booking[0], child_id=child.id, unit_id=unit.id, date=ch.date,
                                 enrolment_id=enrolment.id, state=Booking.State.CANCELLED, updated_at=now))
    for b, (ch, child, unit, *_) in zip(booked + cancelled, to_book + to_cancel):
        b.child, b.unit = child, unit  # shared catalogue unit: read only
    if new:
        Booking.objects.bulk_create(new)  # created_at/updated_at: auto_now(_add) sets them to the clock
    for (state, enrolment_id), ids in sorted(again.items()):
        Booking.objects.filter(pk__in=ids).update(
            state=state, enrolment_id=enrolment_id, booked_by=by, refusal_reason="", decided_at=None,
            decided_by=None, absence_declared_at=None, absence_reason="", excuse="", excuse_decided_at=None,
            excuse_refusal_reason="", created_at=now, updated_at=now)
    if cancelled:
        Booking.objects.filter(pk__in=[b.pk for b in cancelled]).update(state=Booking.State.CANCELLED,
                                                                        updated_at=now)
    return booked, cancelled


def _pairs_q(triples):
    q = Q(pk__in=[])
    for child_id, unit_id, day in triples:
        q |= Q(child_id=child_id, unit_id=unit_id, date=day)
    return q


def booking_recap_email(*, family, result):
    """The recap e-mail: the same lines, prices and totals as the confirmation page
    (selectors.booking_confirmation)."""
    emails = result.get("emails")
    if emails is None:  # a result built elsewhere
        emails = family_emails(family)
    if not emails:
        return
    context = {"family": family, "recap": booking_confirmation(family=family, booked=result["booked"],
                                                               cancelled=result["cancelled"])}
    # One outbox insert whatever the number of guardians.
    email_queue_many(template="booking_recap", messages=[(to, context, family) for to in emails])


# --------------------------------------------------------------------------- step 4: counters, last
def _counters_apply(keys, read, to_book, to_cancel):
    """Lock the counters (creating a day's first ones), take and release the places on them with the
    capacity read in the locking statement, save them. A counter filled, or a capacity lowered, since the
    read refuses the basket (BookingError: the caller's transaction rolls back)."""
    places = occupancy_lock(keys, existing=[k for k, c in read.items() if c.pk is not None])
    errors = _place_errors(places, to_book, to_cancel)
    if errors:
        _refuse(errors)
    occupancy_save(places)
