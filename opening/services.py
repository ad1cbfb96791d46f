"""Fair opening: the parents' requests (the ``RequestStore`` enrolment's basket commit asks), the allocation's
inputs read in bulk, the dry run and the publication.

The allocation itself is the pure ``allocation.allocate``. Publication books through enrolment's one
capacity service (``occupancy_lock`` / ``Places.take`` / ``occupancy_save``, as pre-booking does): the
counters of every requested day are locked in id order, the capacity that decides is read in the locking
statement, the allocation is computed on those figures and the places are taken on the same counters,
in one transaction. The check constraint ``booked <= capacity`` stays the backstop.
"""
import datetime
import time
from collections import defaultdict, namedtuple

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from documents.models import FamilyDocument
from enrolment import loaders
from enrolment.models import Booking, BookingWindow, Enrolment, Unit, WaitingListEntry
from enrolment.services import BOOK
from enrolment.services.occupancy import counter_keys, occupancy_lock, occupancy_read, occupancy_save
from families.models import Family, Guardian
from portal.errors import BookingError, DomainError
from portal.mail import email_queue_many
from portal.models import AuditLog

from . import allocation
from .models import AllocationRun, FamilyOutcome, PlaceRequest, RequestPhase

_Group = namedtuple("_Group", "id capacity")  # what counter_keys needs of a group
# States of a booking that show the child already attends (a requested day not yet decided does not).
ATTENDED_STATES = ("reserved", "present", "absent_billed", "excused")
ATTENDING_DAYS = 365


# --------------------------------------------------------------------------- requests (the store)
class RequestStore:
    """What enrolment's planning asks of the opening app (``enrolment.requests``)."""

    def asked(self, *, child_id, unit_ids, start, end):
        return set(PlaceRequest.objects.order_by().filter(
            child_id=child_id, unit_id__in=unit_ids, date__range=(start, end),
            outcome=PlaceRequest.Outcome.PENDING).values_list("unit_id", "date"))

    def record(self, *, family, changes, by, now):
        return requests_record(family=family, changes=changes, by=by, now=now)


def phase_for_window(window):
    """The window's request phase (created with a fresh seed the first time it is needed)."""
    phase, _ = RequestPhase.objects.get_or_create(window=window)
    return phase


def requests_record(*, family, changes, by, now=None):
    """Ask for (« book ») or withdraw (« cancel ») days of windows in their request phase, in the caller's
    transaction; the basket commit has checked enrolment, opening day and phase. No place is taken.
    Returns (requests recorded, requests withdrawn)."""
    now = now or timezone.now()
    units = dict(Unit.objects.filter(pk__in={c.unit_id for c in changes}).values_list("id", "activity_id"))
    windows = list(BookingWindow.objects.filter(activity_id__in=set(units.values()),
                                                opening_mode=BookingWindow.OpeningMode.REQUESTS))
    enrolments = dict(((child_id, activity_id), pk) for pk, child_id, activity_id in Enrolment.objects.validated()
                      .filter(child__family_id=family.pk, child_id__in={c.child_id for c in changes},
                              activity_id__in=set(units.values())).values_list("id", "child_id", "activity_id"))
    phases = {}
    wanted, withdrawn = {}, Q(pk__in=[])
    for ch in changes:
        activity_id = units.get(ch.unit_id)
        window = next((w for w in windows if w.activity_id == activity_id and w.period_start <= ch.date <= w.period_end),
                      None)
        enrolment_id = enrolments.get((ch.child_id, activity_id))
        if window is None or enrolment_id is None:
            raise BookingError(f"{ch.date:%d/%m/%Y} : ce jour n'est pas ouvert aux demandes.")
        if window.pk not in phases:
            phases[window.pk] = phase_for_window(window)
        if ch.action == BOOK:
            wanted[(ch.child_id, ch.unit_id, ch.date)] = PlaceRequest(
                phase=phases[window.pk], child_id=ch.child_id, unit_id=ch.unit_id, date=ch.date,
                enrolment_id=enrolment_id, requested_at=now, requested_by=by)
        else:
            withdrawn |= Q(child_id=ch.child_id, unit_id=ch.unit_id, date=ch.date)
    removed = 0
    if changes and len(wanted) < len(changes):
        removed, _ = PlaceRequest.objects.filter(withdrawn, child__family_id=family.pk,
                                                 outcome=PlaceRequest.Outcome.PENDING).delete()
    added = 0
    if wanted:
        q = Q(pk__in=[])
        for child_id, unit_id, day in wanted:
            q |= Q(child_id=child_id, unit_id=unit_id, date=day)
        existing = set(PlaceRequest.objects.filter(q).values_list("child_id", "unit_id", "date"))
        new = [r for key, r in wanted.items() if key not in existing]
        PlaceRequest.objects.bulk_create(new, ignore_conflicts=True)
        added = len(new)
    return added, removed


# --------------------------------------------------------------------------- the allocation's inputs
Inputs = namedtuple("Inputs", "phase window requests rows families open_days keys already")


def allocation_inputs(phase):
    """Everything ``allocation.allocate`` needs but the capacities, read in a fixed number of queries:
    the pending requests (those already held by a booking set aside), each family's criteria, the
    window's open days and the counter keys."""
    window = phase.window
    activity = window.activity
    rows = list(PlaceRequest.objects.filter(phase=phase, outcome=PlaceRequest.Outcome.PENDING).order_by("id")
                .values_list("id", "child__family_id", "child_id", "unit_id", "date", "enrolment_id",
                             "enrolment__group_id", "enrolment__group__capacity"))
    held = set(Booking.objects.order_by().filter(
        unit__activity_id=activity.id, date__range=(window.period_start, window.period_end),
        state__in=Booking.HOLDING_STATES, child_id__in={r[2] for r in rows},
    ).values_list("child_id", "unit_id", "date"))
    already = [r[0] for r in rows if (r[2], r[3], r[4]) in held]
    rows = [r for r in rows if (r[2], r[3], r[4]) not in held]
    requests, keys = [], set()
    for pk, family_id, child_id, unit_id, day, _enrolment_id, group_id, capacity in rows:
        k = tuple(counter_keys(unit_id, _Group(group_id, capacity), day))
        keys.update(k)
        requests.append(allocation.Request(pk, family_id, child_id, unit_id, day, k))
    calendar = loaders.calendars_for([activity])[activity.id]
    open_days = calendar.open_days(window.period_start, window.period_end)
    families = _families(phase, {r.family_id for r in requests}, {r.child_id for r in requests})
    return Inputs(phase, window, requests, {r[0]: r for r in rows}, families, open_days, keys, already)


def _families(phase, family_ids, child_ids):
    """[allocation.Family] with the criteria each meets (« siblings » is derived by the allocation)."""
    window = phase.window
    activity = window.activity
    communes = phase.communes()
    met = defaultdict(set)
    families = list(Family.objects.filter(pk__in=family_ids).values_list("id", "number", "city", "postcode"))
    for pk, _number, city, postcode in families:
        if communes and (city.strip().casefold() in communes or postcode.strip().casefold() in communes):
            met[pk].add("resident")
    since = window.period_start - datetime.timedelta(days=ATTENDING_DAYS)
    for pk in Booking.objects.order_by().filter(
        child_id__in=child_ids, date__range=(since, window.period_start - datetime.timedelta(days=1)),
        state__in=ATTENDED_STATES, unit__activity__activity_type__structure_id=activity.activity_type.structure_id,
    ).values_list("child__family_id", flat=True).distinct():
        met[pk].add("attending")
    proof_types = list(phase.proof_types.values_list("id", flat=True))
    if proof_types:
        for pk in FamilyDocument.objects.order_by().filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=window.period_start),
            family_id__in=family_ids, document_type_id__in=proof_types, status=FamilyDocument.Status.ACCEPTED,
        ).values_list("family_id", flat=True).distinct():
            met[pk].add("proof")
    previous = (BookingWindow.objects.filter(activity_id=activity.id, period_end__lt=window.period_start)
                .order_by("-period_end").first())
    if previous is not None:
        got = defaultdict(int)
        for pk, n in _places_by_family(activity.id, previous, family_ids):
            got[pk] = n
        for pk in family_ids:
            if got[pk] < phase.fewer_places_below:
                met[pk].add("fewer_places")
    return [allocation.Family(pk, number or str(pk), frozenset(met[pk])) for pk, number, _c, _p in families]


def _places_by_family(activity_id, window, family_ids):
    """(family_id, days held) at ``window`` of the activity."""
    return (Booking.objects.order_by().filter(
        unit__activity_id=activity_id, date__range=(window.period_start, window.period_end),
        state__in=ATTENDED_STATES, child__family_id__in=family_ids,
    ).values("child__family_id").annotate(n=Count("id")).values_list("child__family_id", "n"))


def _left(places):
    """{counter key: places left (None: unlimited)} from enrolment's Places."""
    return {k: None if c.limit is None else max(c.limit - c.booked, 0) for k, c in places.items()}


def _read_places(inputs):
    """The counters as they are now, not locked (a dry run changes nothing)."""
    unit_ids = {k[0] for k in inputs.keys}
    units = Unit.objects.in_bulk(unit_ids)
    groups = {r[6]: _Group(r[6], r[7]) for r in inputs.rows.values()}
    overrides = loaders.overrides_for(unit_ids, {k[2] for k in inputs.keys})
    return occupancy_read(inputs.keys, default_limit=lambda key: loaders.capacity_for(
        units[key[0]], groups[key[1]] if key[1] else None, key[2], overrides))


# --------------------------------------------------------------------------- dry run
def allocation_dry_run(*, phase, by=None, now=None):
    """Compute the allocation on the counters as they are, change nothing but record the run (figures per
    day, digest) for staff to look at. Re-runnable at will; the same inputs give the same digest."""
    now = now or timezone.now()
    started = time.perf_counter()
    inputs = allocation_inputs(phase)
    result = allocation.allocate(inputs.requests, _left(_read_places(inputs)), inputs.families, phase.settings(),
                                 inputs.open_days)
    return AllocationRun.objects.create(
        phase=phase, kind=AllocationRun.Kind.DRY_RUN, created_at=now, created_by=by, seed=phase.seed,
        digest=result.digest, duration_ms=int((time.perf_counter() - started) * 1000),
        summary=_summary(inputs, result), figures=result.figures,
    )


def _summary(inputs, result):
    families = len(result.ranks)
    by_criterion = defaultdict(int)
    for row in result.figures:
        for code, n in row["by_criterion"].items():
            by_criterion[code] += n
    return {"requests": len(inputs.requests), "granted": len(result.granted), "refused": len(result.refused),
            "already": len(inputs.already), "families": families, "by_criterion": dict(by_criterion)}


# --------------------------------------------------------------------------- publication
def allocation_publish(*, phase, by=None, now=None, send_email=True):
    """Allocate and publish, in one transaction: book what was granted (through the capacity service),
    put what was not on the waiting list in rank order, record each family's outcome, e-mail every family
    (outbox), switch the window to first-come for the places left, audit. Idempotent: a published phase
    is left as it is (its published run is returned)."""
    now = now or timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        phase = RequestPhase.objects.select_for_update().select_related("window__activity__activity_type").get(
            pk=phase.pk)
        if phase.published_at is not None:
            return phase.runs.get(kind=AllocationRun.Kind.PUBLISHED)
        if phase.window.opening_mode != BookingWindow.OpeningMode.REQUESTS:
            raise DomainError("Cette période n'est pas en mode « phase de demandes » : rien à attribuer.")
        if now < phase.window.requests_close_at:
            raise DomainError("La phase de demandes n'est pas close : l'attribution ne peut pas encore être publiée.")
        inputs = allocation_inputs(phase)
        places = occupancy_lock(inputs.keys)
        result = allocation.allocate(inputs.requests, _left(places), inputs.families, phase.settings(),
                                     inputs.open_days)
        granted = _book(inputs, result, places, by=by, now=now)
        waiting = _wait(inputs, result, now=now)
        PlaceRequest.objects.filter(pk__in=inputs.already).update(outcome=PlaceRequest.Outcome.ALREADY)
        PlaceRequest.objects.filter(pk__in=granted).update(outcome=PlaceRequest.Outcome.GRANTED)
        PlaceRequest.objects.filter(pk__in=result.refused).update(outcome=PlaceRequest.Outcome.WAITING)
        outcomes = _outcomes(inputs, result, granted)
        if send_email:
            _emails(phase, outcomes)
        window = phase.window
        window.opening_mode = BookingWindow.OpeningMode.FIRST_COME
        window.save(update_fields=["opening_mode"])  # a catalogue write: every process reloads the rules
        phase.published_at, phase.published_by = now, by
        phase.save(update_fields=["published_at", "published_by"])
        summary = _summary(inputs, result)
        summary["waiting_entries"] = waiting
        run = AllocationRun.objects.create(
            phase=phase, kind=AllocationRun.Kind.PUBLISHED, created_at=now, created_by=by, seed=phase.seed,
            digest=result.digest, duration_ms=int((time.perf_counter() - started) * 1000), summary=summary,
            figures=result.figures,
        )
        AuditLog.objects.create(
            actor=by, action="opening.publish",
            summary=f"Attribution publiée : {window} ({len(granted)} jour(s) attribué(s), "
                    f"{len(result.refused)} en liste d'attente)"[:300],
            old_values={"opening_mode": BookingWindow.OpeningMode.REQUESTS},
            new_values={"opening_mode": window.opening_mode, "seed": phase.seed, "digest": result.digest,
                        **{k: summary[k] for k in ("requests", "granted", "refused", "families")}},
        )
    return run


def _book(inputs, result, places, *, by, now):
    """Book the granted requests on the locked counters; returns the ids of the requests booked. A day the
    child has a row for (cancelled, refused) is booked again on that row."""
    granted = [inputs.rows[pk] for pk in sorted(result.granted)]
    rows = {(c, u, d): pk for pk, c, u, d in Booking.objects.order_by().filter(
        unit__activity_id=inputs.window.activity_id, date__range=(inputs.window.period_start, inputs.window.period_end),
        child_id__in={r[2] for r in granted}).values_list("id", "child_id", "unit_id", "date")}
    new, again, done = [], [], []
    for pk, _family_id, child_id, unit_id, day, enrolment_id, group_id, capacity in granted:
        if not places.take(unit_id, _Group(group_id, capacity), day):
            continue  # cannot happen: the allocation counted on these very counters (it stays a request)
        done.append(pk)
        existing = rows.get((child_id, unit_id, day))
        if existing is None:
            new.append(Booking(child_id=child_id, unit_id=unit_id, date=day, enrolment_id=enrolment_id,
                               state=Booking.State.RESERVED, booked_by=by))
        else:
            again.append(existing)
    Booking.objects.bulk_create(new, batch_size=2000)
    if again:
        Booking.objects.filter(pk__in=again).update(state=Booking.State.RESERVED, booked_by=by, refusal_reason="",
                                                    decided_at=None, decided_by=None, absence_declared_at=None,
                                                    absence_reason="", excuse="", excuse_decided_at=None,
                                                    excuse_refusal_reason="", updated_at=now)
    occupancy_save(places)
    return done


def _wait(inputs, result, *, now):
    """Waiting-list entries for the requests not granted, in rank order (their ``created_at`` one
    microsecond apart in that order: the waiting list serves by created_at). Returns the number created."""
    active = set(WaitingListEntry.objects.order_by().filter(
        unit__activity_id=inputs.window.activity_id, date__range=(inputs.window.period_start, inputs.window.period_end),
        status__in=WaitingListEntry.ACTIVE_STATUSES).values_list("child_id", "unit_id", "date"))
    entries = []
    for i, pk in enumerate(result.refused):
        _pk, _family_id, child_id, unit_id, day, enrolment_id, _g, _c = inputs.rows[pk]
        if (child_id, unit_id, day) in active:
            continue
        entries.append(WaitingListEntry(child_id=child_id, unit_id=unit_id, date=day, enrolment_id=enrolment_id,
                                        status=WaitingListEntry.Status.WAITING,
                                        created_at=now + datetime.timedelta(microseconds=i)))
    WaitingListEntry.objects.bulk_create(entries, batch_size=2000)
    return len(entries)


def _outcomes(inputs, result, granted):
    granted = set(granted)
    counts = defaultdict(lambda: [0, 0])
    for r in inputs.requests:
        counts[r.family_id][0 if r.id in granted else 1] += 1
    outcomes = [
        FamilyOutcome(phase=inputs.phase, family_id=family_id, rank=rank, draw=result.draws[family_id],
                      criteria=result.met[family_id], granted=counts[family_id][0], waiting=counts[family_id][1],
                      requested=sum(counts[family_id]))
        for family_id, rank in result.ranks.items()
    ]
    FamilyOutcome.objects.bulk_create(outcomes, batch_size=2000)
    return outcomes


def _emails(phase, outcomes):
    """One e-mail per guardian with an address: what the family obtained (the page has the details)."""
    emails = defaultdict(list)
    for family_id, email in Guardian.objects.order_by().filter(
            family_id__in=[o.family_id for o in outcomes]).exclude(email="").values_list("family_id", "email"):
        emails[family_id].append(email)
    total = len(outcomes)
    messages = []
    for o in outcomes:
        context = {"phase": phase, "window": phase.window, "outcome": o, "total": total}
        for to in sorted(set(emails[o.family_id])):
            messages.append((to, context, phase))
    if messages:
        email_queue_many(template="opening_result", messages=messages)


# --------------------------------------------------------------------------- reads for the pages
def criteria_labels(codes):
    return [allocation.CRITERIA.get(c, c) for c in codes]
