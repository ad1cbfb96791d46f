"""Reads for the parent and staff pages, each in a bounded number of queries.

Places left come from the Occupancy counter rows (never from counting bookings).
"""
import datetime
import functools
from collections import defaultdict
from decimal import Decimal

from django.db.models import (
    BigIntegerField, Case, CharField, Count, Exists, F, OuterRef, Prefetch, Q, Value, When, Window,
)
from django.db.models.functions import Cast
from django.utils import timezone

from families.models import AuthorisedPerson, Child

from . import loaders, rules
from .models import (
    Activity, ActivityType, Booking, CheckInTap, Enrolment, Occupancy, Structure, Unit, WaitingListEntry,
)
from .prices import unit_prices
from .requests import request_store

FEW_PLACES = 5

STATE_DISPLAY = {
    "reserved": ("✓", "Réservé"),
    "requested": ("?", "Demande en attente de réponse du service"),
    "refused": ("✗", "Demande refusée par le service"),
    "excused": ("AE", "Absent excusé"),
    "absent_billed": ("AF", "Absent facturé"),
    "examined": ("AE?", "Absence : justificatif en cours d'examen"),
    "present": ("P", "Présent"),
    # Not a booking state: a day asked for during a window's request phase (requests.py), holding no place.
    "asked": ("D", "Demande enregistrée"),
}
ASKED = "asked"
# Not a booking state either: a reserved day outside the enrolment's contract (rules.off_contract), billed as
# any other; the calendars say it so that parents and staff see the days added to the regular ones.
OFF_CONTRACT = ("HC", "Réservation hors contrat")
DAY_DISPLAY = {
    rules.CLOSED: ("—", "Fermé"),
    rules.CLOSURE: ("—", "Fermé"),
    rules.PUBLIC_HOLIDAY: ("F", "Férié"),
    rules.SCHOOL_HOLIDAY: ("V", "Vacances"),
}
# Each entry says a state in the same words as the days themselves (seed 002's legend: « Demande en attente »,
# « Réserve refusée », « Absence en cours de traitement », « Réservations hors contrat »).
LEGEND = (
    ("✓", "Réservé"), ("?", STATE_DISPLAY["requested"][1]), ("✗", STATE_DISPLAY["refused"][1]),
    (OFF_CONTRACT[0], OFF_CONTRACT[1] + " (en plus des jours réguliers, facturée comme les autres)"),
    ("—", "Fermé"), ("F", "Férié"), ("V", "Vacances"), ("AE", "Absent excusé"),
    ("AE?", STATE_DISPLAY["examined"][1] + " (absence déclarée avec un justificatif)"), ("AF", "Absent facturé"),
    ("P", "Présent"), ("C", "Complet"),
    ("⊘", "Hors délai (non modifiable)"), ("LA", "Sur liste d'attente"), ("+", "Sera réservé (à confirmer)"),
    ("−", "Sera annulé (à confirmer)"), ("D", "Demande enregistrée (phase de demandes, aucune place prise)"),
)
LOCKED_STATES = ("present", "absent_billed", "excused", "examined")
# A billed absence whose certificate staff have still to examine reads as its own state (« en cours
# d'examen »): the booking's state as the calendars show it.
SHOWN_STATE = Case(When(state="absent_billed", excuse="requested", then=Value("examined")), default=F("state"),
                   output_field=CharField())


# --------------------------------------------------------------------------- enrolments
def _attach_activities(enrolments):
    """Set each enrolment's activity (with type and structure) from the cached catalogue; activities of
    seasons it no longer keeps are read in one query."""
    cat = loaders.catalogue()
    missing = {e.activity_id for e in enrolments} - set(cat.activities)
    extra = Activity.objects.select_related("activity_type__structure").in_bulk(missing) if missing else {}
    for e in enrolments:
        e.activity = cat.activities.get(e.activity_id) or extra[e.activity_id]
    return enrolments


def family_enrolments(*, family):
    """Children of the family with their enrolments (newest first): two queries."""
    enrolments = Prefetch(
        "enrolments",
        queryset=Enrolment.objects.select_related("group")
        .exclude(status=Enrolment.Status.CANCELLED).order_by("-activity__season_start", "activity__name"),
    )
    children = list(family.children.filter(is_active=True).order_by("birth_date", "first_name").prefetch_related(
        enrolments))
    _attach_activities([e for c in children for e in c.enrolments.all()])
    return children


def validated_enrolments(*, family):
    return _attach_activities(list(
        Enrolment.objects.for_family(family).filter(child__is_active=True, status=Enrolment.Status.VALIDATED)
        .select_related("child", "group")
        .order_by("child__birth_date", "child__first_name", "activity__name")
    ))


def catalogue(*, now=None):
    """Structures → activity types → active activities (with groups) open for enrolment: three queries."""
    today = timezone.localdate(now or timezone.now(), rules.PARIS)
    activities = (
        Activity.objects.filter(is_active=True, season_end__gte=today)
        .prefetch_related("groups").order_by("name")
    )
    types = ActivityType.objects.prefetch_related(Prefetch("activities", queryset=activities)).order_by("name")
    return list(Structure.objects.prefetch_related(Prefetch("activity_types", queryset=types)).order_by("name"))


# --------------------------------------------------------------------------- calendar
class Cell:
    """One unit on one open day. The texts the calendars show are computed here once (no per-cell
    template logic): ``sym``/``text`` for reading, ``mode``/``note``/``places``/``sr`` for edit mode."""

    __slots__ = ("unit", "state", "symbol", "label", "places_left", "full", "waiting", "basket", "booking_id",
                 "sym", "text", "key", "box_id", "mode", "note", "places", "sr", "absence_url")

    def __init__(self, unit):
        self.unit = unit
        self.state = self.symbol = self.label = self.basket = ""  # state: booking state, "" when not booked
        self.places_left = self.waiting = self.booking_id = None  # waiting: the active waiting-list entry id
        self.full = False
        self.absence_url = ""

    @property
    def booked(self):
        return self.state in Booking.HOLDING_STATES or self.state == "examined"

    @property
    def checked(self):
        """Ticked in edit mode: booked now, or after the basket's change."""
        if self.basket == "book":
            return True
        if self.basket == "cancel":
            return False
        return self.state in ("reserved", "requested", ASKED)

    @property
    def editable_state(self):
        return self.state not in LOCKED_STATES


class Day:
    __slots__ = ("date", "in_range", "status", "label", "symbol", "editable", "reason", "cells", "key", "weekday",
                 "short", "long", "url", "locked_text")

    def __init__(self, date, status, label, in_range=True):
        self.date, self.status, self.label, self.in_range = date, status, label, in_range
        self.symbol = DAY_DISPLAY[status][0] if status != rules.OPEN else ""
        self.reason = self.url = self.locked_text = ""
        self.editable = False
        self.cells = []
        self.key, self.weekday, self.short, self.long = _date_texts(date)

    @property
    def is_open(self):
        return self.status == rules.OPEN


@functools.lru_cache(maxsize=1024)
def _date_texts(date):
    """(key, weekday, « Mercredi 03/12 », « mercredi 03/12/2025 ») of a date."""
    weekday = rules.WEEKDAYS_FR[date.weekday()]
    return (date.isoformat(), weekday, f"{weekday.capitalize()} {date.day:02d}/{date.month:02d}",
            f"{weekday} {date.day:02d}/{date.month:02d}/{date.year}")


MEMO_DAY_SPANS = 2000  # (activity, span) entries of day statuses kept per catalogue


def _day_statuses(cat, activity_id, start, end):
    """[(date, status, label)] of [start, end] in the activity's opening calendar: the same for every
    family, computed once per catalogue version (kept on the catalogue, up to MEMO_DAY_SPANS spans)."""
    key = ("day_statuses", activity_id, start, end)
    found = cat.memo.get(key)
    if found is None:
        calendar = cat.calendars[activity_id]
        found = [(day, *calendar.status(day)) for day in
                 (start + datetime.timedelta(days=i) for i in range((end - start).days + 1))]
        if len(cat.memo) < MEMO_DAY_SPANS:
            cat.memo[key] = found
    return found


def _decision_key(day, policy):
    """Days sharing a deadline share their decision (a month under the monthly rule, a window)."""
    if policy.rule == rules.MONTHLY:
        return day.year, day.month
    if policy.rule == rules.WINDOW:
        return rules.window_for(day, policy)
    return day


def _child_day_rows(child_id, unit_ids, start, end, counter_groups):
    """The child's bookings and active waiting-list entries, and the counters of the units, for
    [start, end], in one query (a UNION ALL of the three reads): ({(unit, day): (id, state)},
    {(unit, day): entry id}, {(unit, group, day): booked})."""
    booked, waits, occupancy = {}, {}, {}
    if not unit_ids:
        return booked, waits, occupancy
    span = (start, end)
    # Typed constants: PostgreSQL matches a UNION's columns pairwise, and an untyped NULL would become text.
    no_state, no_group = Value("", output_field=CharField()), Cast(None, output_field=BigIntegerField())
    bookings = Booking.objects.filter(child_id=child_id, unit_id__in=unit_ids, date__range=span).order_by().values_list(
        Value("b"), "id", "unit_id", "date", SHOWN_STATE, no_group)
    entries = WaitingListEntry.objects.filter(
        child_id=child_id, unit_id__in=unit_ids, date__range=span, status__in=WaitingListEntry.ACTIVE_STATUSES,
    ).order_by().values_list(Value("w"), "id", "unit_id", "date", no_state, no_group)
    counters = Occupancy.objects.filter(
        Q(group_id__isnull=True) | Q(group_id__in=[g for g in counter_groups if g]), unit_id__in=unit_ids, date__range=span,
    ).order_by().values_list(Value("o"), "booked", "unit_id", "date", no_state, "group_id")
    for kind, n, unit_id, day, state, group_id in bookings.union(entries, counters, all=True):
        if kind == "b":
            booked[(unit_id, day)] = (n, state)
        elif kind == "w":
            waits[(unit_id, day)] = n
        else:
            occupancy[(unit_id, group_id, day)] = n
    return booked, waits, occupancy


def _asked(child_id, unit_ids, start, end, policy):
    """{(unit_id, day)} the child asked for in a request phase (a query only when the activity has a window
    in request mode)."""
    if not unit_ids or not rules.has_request_windows(policy):
        return set()
    return request_store().asked(child_id=child_id, unit_ids=unit_ids, start=start, end=end)


def _asked_label(day, policy):
    """« Demande enregistrée — attribution le 13/06 à 18 h »."""
    window = rules.window_for(day, policy)
    if window is None or window.mode != rules.REQUESTS:
        return STATE_DISPLAY[ASKED][1]
    return rules.request_phase_note(window)


def calendar_days(*, enrolment, start, end, now=None, basket=(), shown=None, units=None, few=FEW_PLACES, cat=None):
    """The days of [start, end] (``shown`` narrows the in-range days, e.g. a month inside padded weeks)
    for one enrolment, with each unit's state. One query (the catalogue comes from the cache).
    """
    now = now or timezone.now()
    activity_id = enrolment.activity_id
    cat = cat or loaders.catalogue_for([activity_id])
    units = cat.units_of.get(activity_id, []) if units is None else units
    unit_ids = [u.id for u in units]
    policy = cat.policies[activity_id]
    contract = rules.contract_units(cat.activities[activity_id].prebook_regular, cat.units_of.get(activity_id, ()))
    group = enrolment.group
    counter_groups = [g.id if g else None for g in loaders.counter_groups(group)]
    booked, waits, occupancy = _child_day_rows(enrolment.child_id, unit_ids, start, end, counter_groups)
    asked = _asked(enrolment.child_id, unit_ids, start, end, policy)
    overrides = cat.overrides if all(u in cat.units for u in unit_ids) else loaders.overrides_for(unit_ids,
                                                                                                    (start, end))
    child_id = enrolment.child_id
    basket_map = {(int(u), d): a for c, u, d, a in basket if int(c) == child_id}
    decisions = {}
    days = []
    for day, status, label in _day_statuses(cat, activity_id, start, end):
        d = Day(day, status, label, in_range=shown is None or shown[0] <= day <= shown[1])
        days.append(d)
        if status != rules.OPEN:
            continue
        dk = _decision_key(d.date, policy)
        decision = decisions.get(dk)
        if decision is None:
            decision = decisions[dk] = rules.can_change(d.date, policy, now)
        d.editable, d.reason = decision.ok, decision.reason
        locked = [d.reason]
        for unit in units:
            cell = Cell(unit)
            uid, name = unit.id, unit.name
            b = booked.get((uid, d.date))
            if b is not None and b[1] in STATE_DISPLAY:
                cell.booking_id, cell.state = b
                cell.symbol, cell.label = (OFF_CONTRACT if rules.off_contract(cell.state, uid, contract)
                                           else STATE_DISPLAY[cell.state])
            elif (uid, d.date) in asked:
                cell.state, cell.symbol = ASKED, STATE_DISPLAY[ASKED][0]
                cell.label = _asked_label(d.date, policy)
            left = None
            for g in counter_groups:
                cap = overrides.get((uid, g, d.date), unit.capacity if g is None else group.capacity)
                if cap is not None:
                    rest = max(cap - occupancy.get((uid, g, d.date), 0), 0)
                    left = rest if left is None else min(left, rest)
            cell.places_left, cell.full = left, left == 0
            cell.waiting = waits.get((uid, d.date))
            if not cell.state:
                if cell.waiting:
                    cell.symbol, cell.label = "LA", "Sur liste d'attente"
                elif cell.full:
                    cell.symbol, cell.label = "C", "Complet"
            cell.basket = basket_map.get((uid, d.key), "")
            # Reading: « ✓ Journée : Réservé », « + Journée : ajout dans le panier », « Journée : libre (3 pl.) ».
            if cell.basket == "book":
                cell.sym, cell.text = "+", f"{name} : sera réservé (à confirmer)"
            elif cell.basket == "cancel":
                cell.sym, cell.text = "−", f"{name} : sera annulé (à confirmer)"
            elif cell.label:
                cell.sym, cell.text = cell.symbol, f"{name} : {cell.label}"
            else:
                cell.sym, cell.text = "", f"{name} : libre"
            if not cell.state and left is not None and 0 < left <= few:
                cell.text += f" ({left} pl.)"
            # Edit mode: a locked state, « Complet », or a checkbox with its accessible name.
            cell.key, cell.box_id = f"{d.key}:{uid}", f"c-{d.key}-{uid}"
            cell.places = ""
            if not cell.editable_state:
                cell.mode, cell.note = "locked", cell.label
            elif cell.full and not cell.checked:
                cell.mode, cell.note = "full", "Complet"
            else:
                cell.mode = "box"
                cell.note = ("sera réservé" if cell.basket == "book" else "sera annulé" if cell.basket == "cancel"
                             else cell.label if cell.state else "")
                if left is not None and left <= few and not cell.state:
                    cell.places = f"{left} pl."
            cell.sr = f"{d.long} – {name}"
            if cell.label:
                locked.append(f"{name} : {cell.label}")
            d.cells.append(cell)
        d.locked_text = " – ".join(locked)
    return days


def month_calendar(*, enrolment, year, month, now=None, basket=(), cat=None):
    """The month's days for one enrolment (one query), laid out by the template as a 7-column grid
    starting at ``offset`` (the first day's weekday)."""
    first, last = rules.month_bounds(year, month)
    cat = cat or loaders.catalogue_for([enrolment.activity_id])
    units = cat.units_of.get(enrolment.activity_id, [])
    days = calendar_days(enrolment=enrolment, start=first, end=last, now=now, basket=basket, units=units, cat=cat)
    return {
        "days": days,
        "units": units,
        "offset": first.weekday(),
        "first": first, "last": last,
        "label": rules.month_label(year, month),
        "prev": (first - datetime.timedelta(days=1)).replace(day=1),
        "next": last + datetime.timedelta(days=1),
    }


def _child_bookings_between(*, child_id, start, end):
    """(unit_id, date, state) of the child's bookings in [start, end]."""
    return Booking.objects.filter(child_id=child_id, date__range=(start, end)).order_by().values_list(
        "unit_id", "date", SHOWN_STATE)


def pattern_targets(*, enrolment, start, end, pattern, now=None, cat=None):
    """What a "Sélection en masse" or "Semaine type" touches for one enrolment: [(day, unit_id, editable,
    state)] for the (opening day, unit of the activity) pairs of ``pattern`` in [start, end], with the
    deadline's decision (``editable``) and the child's booking state ("" when none). One query; the same
    decisions and states as the calendar cells (calendar_days), without building the cells."""
    now = now or timezone.now()
    cat = cat or loaders.catalogue_for([enrolment.activity_id])
    activity_id = enrolment.activity_id
    own = {u.id for u in cat.units_of.get(activity_id, ())}
    pairs = [(d, u) for d, u in rules.pattern_dates(cat.calendars[activity_id], start, end, pattern) if u in own]
    if not pairs:
        return []
    states = {(u, d): state for u, d, state in _child_bookings_between(child_id=enrolment.child_id, start=start, end=end)}
    policy = cat.policies[activity_id]
    for key in _asked(enrolment.child_id, sorted(own), start, end, policy):
        if states.get(key) not in STATE_DISPLAY:
            states[key] = ASKED
    decisions = {}
    out = []
    for day, unit_id in pairs:
        dk = _decision_key(day, policy)
        if dk not in decisions:
            decisions[dk] = rules.can_change(day, policy, now).ok
        state = states.get((unit_id, day), "")
        out.append((day, unit_id, decisions[dk], state if state in STATE_DISPLAY else ""))
    return out


def child_month_planning(*, child, year, month):
    """Seed 002's grid: one row per activity and unit, one column per day of the month. Two queries; the
    activities come from the cached catalogue."""
    first, last = rules.month_bounds(year, month)
    enrolments = list(Enrolment.objects.filter(
        child=child, status=Enrolment.Status.VALIDATED, activity__season_start__lte=last,
        activity__season_end__gte=first).order_by("-requested_at", "id"))
    cat = loaders.catalogue_for([e.activity_id for e in enrolments])
    for e in enrolments:
        e.activity = cat.activities[e.activity_id]
    bookings = {(u, d): s for u, d, s in _child_bookings_between(child_id=child.pk, start=first, end=last)}
    dates = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    free = ("", "Non réservé")
    rows = []
    for e in enrolments:
        base = [free if status == rules.OPEN else DAY_DISPLAY[status]
                for _, status, _ in _day_statuses(cat, e.activity_id, first, last)]
        units = cat.units_of.get(e.activity_id, ())
        contract = rules.contract_units(e.activity.prebook_regular, units)
        for unit in units:
            cells = list(base)
            for i, d in enumerate(dates):
                state = bookings.get((unit.id, d))
                if state in STATE_DISPLAY:
                    cells[i] = OFF_CONTRACT if rules.off_contract(state, unit.id, contract) else STATE_DISPLAY[state]
            rows.append({"enrolment": e, "unit": unit, "cells": cells})
    return {
        "dates": [(d, f"{rules.WEEKDAYS_SHORT_FR[d.weekday()].capitalize()} {d.day:02d}", rules.WEEKDAYS_FR[d.weekday()]
                   + f" {d.day:02d}/{d.month:02d}/{d.year}") for d in dates],
        "rows": rows,
        "label": rules.month_label(year, month), "first": first,
        "prev": (first - datetime.timedelta(days=1)).replace(day=1), "next": last + datetime.timedelta(days=1),
    }


# --------------------------------------------------------------------------- basket recap
def _euros(amount):
    """« 8,50 € » (what ``floatformat:2`` prints in French), « — » without a price."""
    return "—" if amount is None else f"{amount:.2f} €".replace(".", ",")


def _request_window(cat, unit, day):
    """The window in request mode ``day`` of ``unit`` falls in, or None."""
    policy = cat.policies.get(unit.activity_id)
    if policy is None or not rules.has_request_windows(policy):
        return None
    window = rules.window_for(day, policy)
    return window if window is not None and window.mode == rules.REQUESTS else None


def _action_text(action, window):
    if window is None:
        return "Sera réservé" if action == "book" else "Sera annulé"
    return (f"Demande ({rules.request_phase_note(window).split(' — ')[1]})" if action == "book"
            else "Retrait de la demande")


def basket_recap(*, family, items):
    """Lines (date, child, activity – unit, action, unit price, cost) and total of a basket, with their
    texts (computed here once rather than by filters in the template). One query, the units and their
    tariffs coming from the cached catalogue."""
    parsed = []
    for child_id, unit_id, day, action in items:
        parsed.append((datetime.date.fromisoformat(day), int(child_id), int(unit_id), action))
    children = dict(Child.objects.for_family(family).order_by().values_list("id", "first_name"))
    unit_ids = {p[2] for p in parsed}
    cat = loaders.catalogue()
    units = {u: cat.units[u] for u in unit_ids if u in cat.units}
    if len(units) < len(unit_ids):  # units of past seasons' activities
        units.update(Unit.objects.select_related("activity").in_bulk(unit_ids - set(units)))
    prices = unit_prices(family=family, unit_ids=sorted({p[2] for p in parsed if p[2] in units and units[p[2]].billable}),
                         days={p[0] for p in parsed})
    lines = []
    total = Decimal("0.00")
    for day, child_id, unit_id, action in sorted(parsed):
        child_name, unit = children.get(child_id), units.get(unit_id)
        if child_name is None or unit is None:
            continue
        price = None
        if prices is not None:
            price = prices.get((unit_id, day), Decimal("0.00")) if unit.billable else Decimal("0.00")
        cost = None if price is None else (price if action == "book" else -price)
        window = _request_window(cat, unit, day)
        if window is not None:  # a request phase: nothing is booked or billed before the allocation
            cost = None
        if cost is not None:
            total += cost
        short = f"{day:%d/%m/%Y}"
        lines.append({
            "date": day, "child_name": child_name, "unit": unit, "action": action, "price": price, "cost": cost,
            "key": f"{child_id}:{unit_id}:{day.isoformat()}",
            "day_text": f"{rules.WEEKDAYS_FR[day.weekday()].capitalize()} {short}",
            "label": f"{unit.activity.parent_name} – {unit.name}",
            "action_text": _action_text(action, window), "price_text": _euros(price),
            "cost_text": _euros(cost), "remove_text": f" la ligne du {short}, {unit.name}",
        })
    return {"lines": lines, "total": total, "total_text": _euros(total), "priced": prices is not None}


# --------------------------------------------------------------------------- booking confirmation
CONFIRMED_TEXT = {"reserved": "Réservé", "requested": "En attente de réponse du service", "cancelled": "Annulé"}


def _period_totals(*, family, months):
    """[(« février 2027 », total text)] of the family's held bookings in each month of ``months`` ({(year,
    month)}), priced through prices.py: one query (the tariffs come from the cache)."""
    if not months:
        return []
    q = Q()
    for year, month in months:
        q |= Q(date__range=rules.month_bounds(year, month))
    held = list(Booking.objects.for_family(family).filter(q, state__in=Booking.HOLDING_STATES).order_by()
                .values_list("unit_id", "date"))
    cat = loaders.catalogue()
    billable = sorted({u for u, _ in held if u not in cat.units or cat.units[u].billable})
    prices = unit_prices(family=family, unit_ids=billable, days={d for _, d in held})
    if prices is None:
        return []
    out = []
    for year, month in sorted(months):
        total = sum((prices.get((u, d), Decimal("0.00")) for u, d in held
                     if (d.year, d.month) == (year, month) and u in billable), Decimal("0.00"))
        out.append((rules.month_label(year, month), _euros(total)))
    return out


def booking_confirmation(*, family, booked, cancelled):
    """What a commit booked and cancelled, each with its price, the total of the changes and the total of
    each month touched (the bookings held that month after the commit). ``booked``/``cancelled``: Bookings
    with their ``child`` and ``unit`` (with its activity) set, as ``booking_commit`` returns them. Two
    queries at most (the month totals; the tariffs of units outside the cached catalogue)."""
    changes = [(b, "book") for b in booked] + [(b, "cancel") for b in cancelled]
    prices = unit_prices(family=family, unit_ids=sorted({b.unit_id for b, _ in changes if b.unit.billable}),
                         days={b.date for b, _ in changes})
    lines, total = [], Decimal("0.00")
    for b, action in sorted(changes, key=lambda c: (c[0].date, c[0].child.first_name, c[0].unit.order, c[1])):
        price = None
        if prices is not None:
            price = prices.get((b.unit_id, b.date), Decimal("0.00")) if b.unit.billable else Decimal("0.00")
        cost = None if price is None else (price if action == "book" else -price)
        if cost is not None:
            total += cost
        lines.append({
            "date": b.date, "day_text": f"{rules.WEEKDAYS_FR[b.date.weekday()].capitalize()} {b.date:%d/%m/%Y}",
            "child_name": b.child.first_name, "label": f"{b.unit.activity.parent_name} – {b.unit.name}",
            "action": action, "state_text": CONFIRMED_TEXT.get(b.state if action == "book" else "cancelled", ""),
            "price_text": _euros(price), "cost_text": _euros(cost),
        })
    months = {(b.date.year, b.date.month) for b, _ in changes}
    return {"lines": lines, "total_text": _euros(total), "priced": prices is not None,
            "booked": len(booked), "cancelled": len(cancelled),
            "periods": _period_totals(family=family, months=months)}


# --------------------------------------------------------------------------- staff
def attendance_sheet(*, day, activity, group=None):
    """Bookings of a day for an activity (and group) with health flags and pick-up persons. Four queries."""
    qs = (
        Booking.objects.filter(date=day, unit__activity=activity, state__in=("reserved", "present", "absent_billed",
                                                                              "excused", "requested"))
        .select_related("child__family", "child__health", "unit", "enrolment__group")
        .order_by("child__last_name", "child__first_name", "unit__order")
    )
    if group is not None:
        qs = qs.filter(enrolment__group=group)
    bookings = list(qs)
    persons = defaultdict(list)
    for p in AuthorisedPerson.objects.filter(child_id__in={b.child_id for b in bookings}, can_pick_up=True):
        persons[p.child_id].append(p)
    contract = rules.contract_units(activity.prebook_regular, loaders.units_for(activity.id))
    rows = []
    for b in bookings:
        health = getattr(b.child, "health", None)
        rows.append({"booking": b, "child": b.child, "health": health, "pick_up": persons[b.child_id],
                     "state_text": _staff_state_text(b, contract)})
    return rows


def _staff_state_text(booking, contract):
    """The state as the attendance sheet says it: the booking's state, with what the parents' calendars add
    (« hors contrat », a certificate being examined)."""
    text = booking.get_state_display()
    if rules.off_contract(booking.state, booking.unit_id, contract):
        return f"{text} – hors contrat"
    if booking.state == Booking.State.ABSENT_BILLED and booking.excuse == Booking.Excuse.REQUESTED:
        return f"{text} – justificatif à examiner"
    return text


def occupancy_month(*, activity, year, month):
    """Per day and unit: booked / capacity / waiting for a month. Five queries."""
    first, last = rules.month_bounds(year, month)
    units = list(activity.units.all())
    ids = [u.id for u in units]
    calendar = loaders.calendars_for([activity])[activity.id]
    overrides = loaders.overrides_for(ids, (first, last))
    booked = {(o.unit_id, o.date): o.booked for o in Occupancy.objects.filter(unit_id__in=ids, group__isnull=True,
                                                                             date__range=(first, last))}
    waiting = defaultdict(int)
    for unit_id, d in WaitingListEntry.objects.filter(unit_id__in=ids, date__range=(first, last),
                                                      status__in=WaitingListEntry.ACTIVE_STATUSES).values_list(
                                                          "unit_id", "date"):
        waiting[(unit_id, d)] += 1
    rows = []
    for d in calendar.open_days(first, last):
        rows.append({"date": d, "cells": [
            {"unit": u, "booked": booked.get((u.id, d), 0), "capacity": loaders.capacity_for(u, None, d, overrides),
             "waiting": waiting[(u.id, d)]} for u in units
        ]})
    return {"units": units, "rows": rows, "label": rules.month_label(year, month), "first": first,
            "prev": (first - datetime.timedelta(days=1)).replace(day=1), "next": last + datetime.timedelta(days=1)}


def upcoming_bookings_for_feed(*, family, today):
    return list(
        Booking.objects.for_family(family).filter(date__gte=today, state__in=("reserved", "requested", "present"))
        .select_related("child", "unit__activity__activity_type__structure").order_by("date", "unit__start_time")[:1000]
    )


def home_summary(*, family, now=None):
    """Next booked days (up to 5) and the number of booking requests awaiting staff from today on
    (``pending_bookings``, a window aggregate on the same rows: requests are among the days listed): one
    query, the units and activities from the cached catalogue (the home page is every parent's first page: it
    also warms the catalogue the calendars read). The pending enrolments are a family counter row
    (enrolment/dashboard.py)."""
    today = timezone.localdate(now or timezone.now(), rules.PARIS)
    cat = loaders.catalogue()
    upcoming = list(
        Booking.objects.for_family(family).filter(child__is_active=True, date__gte=today,
                               state__in=(Booking.State.RESERVED, Booking.State.REQUESTED))
        .select_related("child").only("date", "state", "unit_id", "child__first_name")  # what the block shows
        .annotate(requested=Window(Count("pk", filter=Q(state=Booking.State.REQUESTED))))
        .order_by("date", "unit__start_time", "pk")[:5]
    )
    for b in upcoming:
        if b.unit_id in cat.units:
            b.unit = cat.units[b.unit_id]
    return {"upcoming": upcoming, "pending_bookings": upcoming[0].requested if upcoming else 0}


def pending_enrolments(*, family):
    """Enrolment requests awaiting staff (``family``: a Family, its id or an OuterRef)."""
    return Enrolment.objects.for_family(family).filter(status=Enrolment.Status.PENDING)


# --------------------------------------------------------------------------- check-in (pointage)
CHECK_IN_STATES = ("reserved", "present", "absent_billed", "excused")
EXPECTED_STATES = ("reserved", "present", "absent_billed")  # an excused child is not expected


def check_in_counters(bookings):
    """Expected / present / absent children over bookings (one child counted once per unit)."""
    states = [b.state for b in bookings]
    return {"expected": sum(s in EXPECTED_STATES for s in states), "present": states.count("present"),
            "absent": states.count("absent_billed") + states.count("excused")}


def check_in_sheet(*, day, structure, activity=None, unit=None):
    """Today's children of one site, per activity and unit, then by group, as animators work; with health
    flags, pick-up persons and the enrolled children who may come unbooked. Four queries whatever the
    number of children."""
    qs = (Booking.objects.filter(date=day, state__in=CHECK_IN_STATES, unit__activity__activity_type__structure=structure)
          .select_related("child__health", "unit__activity", "enrolment__group")
          .annotate(can_undo=Exists(CheckInTap.objects.filter(booking=OuterRef("pk"), undone=False)
                                    .exclude(action="undo")))
          .order_by("unit__activity__name", "unit__order", "unit_id", "enrolment__group__name",
                    "child__last_name", "child__first_name"))
    if activity is not None:
        qs = qs.filter(unit__activity=activity)
    if unit is not None:
        qs = qs.filter(unit=unit)
    bookings = list(qs)
    persons = defaultdict(list)
    for p in AuthorisedPerson.objects.filter(child_id__in={b.child_id for b in bookings}, can_pick_up=True):
        persons[p.child_id].append(p)
    sections, by_unit = [], {}
    for b in bookings:
        b.health_info = getattr(b.child, "health", None)
        b.pick_up = persons[b.child_id]
        section = by_unit.get(b.unit_id)
        if section is None:
            section = by_unit[b.unit_id] = {"unit": b.unit, "activity": b.unit.activity, "groups": {}, "bookings": []}
            sections.append(section)
        section["bookings"].append(b)
        section["groups"].setdefault(b.enrolment.group.name, []).append(b)
    for section in sections:
        section["counters"] = check_in_counters(section["bookings"])
        section["groups"] = list(section["groups"].items())
    # Children enrolled (validated) in the activities shown, for « venu sans réservation ».
    enrolments = Enrolment.objects.validated().filter(
        activity__activity_type__structure=structure, activity__season_start__lte=day, activity__season_end__gte=day,
    ).select_related("child", "activity").order_by("child__last_name", "child__first_name", "activity__name")
    if activity is not None:
        enrolments = enrolments.filter(activity=activity)
    return {"sections": sections, "counters": check_in_counters(bookings), "walk_in_enrolments": list(enrolments)}
