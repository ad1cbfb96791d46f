"""Reads for the parent and staff pages, each in a bounded number of queries.

Places left come from the Occupancy counter rows (never from counting bookings).
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone

from . import loaders, rules
from .models import Booking, Enrolment, Occupancy, Structure, Unit, WaitingListEntry

FEW_PLACES = 5

STATE_DISPLAY = {
    "reserved": ("✓", "Réservé"),
    "requested": ("?", "Demande en attente"),
    "refused": ("✗", "Refusé"),
    "excused": ("AE", "Absent excusé"),
    "absent_billed": ("AF", "Absent facturé"),
    "present": ("P", "Présent"),
}
DAY_DISPLAY = {
    rules.CLOSED: ("—", "Fermé"),
    rules.CLOSURE: ("—", "Fermé"),
    rules.PUBLIC_HOLIDAY: ("F", "Férié"),
    rules.SCHOOL_HOLIDAY: ("V", "Vacances"),
}
LEGEND = [
    ("✓", "Réservé"), ("?", "Demande en attente"), ("✗", "Refusé"), ("—", "Fermé"), ("F", "Férié"),
    ("V", "Vacances"), ("AE", "Absent excusé"), ("AF", "Absent facturé"), ("P", "Présent"), ("C", "Complet"),
    ("⊘", "Hors délai (non modifiable)"), ("LA", "Sur liste d'attente"), ("+", "Ajout dans le panier"),
    ("−", "Annulation dans le panier"),
]
LOCKED_STATES = ("present", "absent_billed", "excused")


# --------------------------------------------------------------------------- enrolments
def family_enrolments(*, family):
    """Children of the family with their enrolments (newest first): two queries."""
    enrolments = Prefetch(
        "enrolments",
        queryset=Enrolment.objects.select_related("activity__activity_type__structure", "group")
        .exclude(status=Enrolment.Status.CANCELLED).order_by("-activity__season_start", "activity__name"),
    )
    return list(family.children.filter(is_active=True).order_by("birth_date", "first_name").prefetch_related(
        enrolments))


def validated_enrolments(*, family):
    return list(
        Enrolment.objects.filter(child__family=family, child__is_active=True, status=Enrolment.Status.VALIDATED)
        .select_related("child", "activity__activity_type__structure", "group")
        .order_by("child__birth_date", "child__first_name", "activity__name")
    )


def catalogue(*, now=None):
    """Structures → activity types → active activities (with groups) open for enrolment: three queries."""
    from .models import Activity, ActivityType

    today = timezone.localdate(now or timezone.now(), rules.PARIS)
    activities = (
        Activity.objects.filter(is_active=True, season_end__gte=today)
        .prefetch_related("groups").order_by("name")
    )
    types = ActivityType.objects.prefetch_related(Prefetch("activities", queryset=activities)).order_by("name")
    return list(Structure.objects.prefetch_related(Prefetch("activity_types", queryset=types)).order_by("name"))


# --------------------------------------------------------------------------- calendar
@dataclass
class Cell:
    unit: Unit
    state: str = ""  # booking state, or "" when not booked
    symbol: str = ""
    label: str = ""
    places_left: int | None = None
    full: bool = False
    waiting: int | None = None  # the active waiting-list entry id
    basket: str = ""  # "book" / "cancel" when the basket changes it
    booking_id: int | None = None

    @property
    def booked(self):
        return self.state in Booking.HOLDING_STATES

    @property
    def checked(self):
        """Ticked in edit mode: booked now, or after the basket's change."""
        if self.basket == "book":
            return True
        if self.basket == "cancel":
            return False
        return self.state in ("reserved", "requested")

    @property
    def editable_state(self):
        return self.state not in LOCKED_STATES


@dataclass
class Day:
    date: datetime.date
    in_range: bool = True
    status: str = rules.OPEN
    label: str = ""
    symbol: str = ""
    editable: bool = False
    reason: str = ""
    cells: list = field(default_factory=list)

    @property
    def is_open(self):
        return self.status == rules.OPEN

    @property
    def weekday(self):
        return rules.WEEKDAYS_FR[self.date.weekday()]

    @property
    def key(self):
        return self.date.isoformat()


def calendar_days(*, enrolment, start, end, now=None, basket=(), shown=None, units=None):
    """The days of [start, end] (``shown`` narrows the in-range days, e.g. a month inside padded weeks)
    for one enrolment, with each unit's state. A fixed number of queries.
    """
    now = now or timezone.now()
    activity = enrolment.activity
    units = list(activity.units.all()) if units is None else units
    unit_ids = [u.id for u in units]
    calendar = loaders.calendars_for([activity])[activity.id]
    policy = loaders.policies_for([activity])[activity.id]
    bookings = {
        (b.unit_id, b.date): b
        for b in Booking.objects.filter(child_id=enrolment.child_id, unit_id__in=unit_ids, date__range=(start, end))
        .only("id", "unit_id", "date", "state")
    }
    group = enrolment.group
    counter_groups = [g.id if g else None for g in loaders.counter_groups(group)]
    occupancy = {
        (o.unit_id, o.group_id, o.date): o.booked
        for o in Occupancy.objects.filter(unit_id__in=unit_ids, date__range=(start, end)).only(
            "unit_id", "group_id", "date", "booked")
        if o.group_id in counter_groups
    }
    overrides = loaders.overrides_for(unit_ids, (start, end))
    waiting = {
        (u, d): pk for pk, u, d in WaitingListEntry.objects.filter(
            child_id=enrolment.child_id, unit_id__in=unit_ids, date__range=(start, end),
            status__in=WaitingListEntry.ACTIVE_STATUSES).values_list("pk", "unit_id", "date")
    }
    basket_map = {(int(u), d): a for c, u, d, a in basket if int(c) == enrolment.child_id}
    days = []
    day = start
    while day <= end:
        status, label = calendar.status(day)
        d = Day(date=day, in_range=shown is None or shown[0] <= day <= shown[1], status=status, label=label)
        if status != rules.OPEN:
            d.symbol = DAY_DISPLAY[status][0]
        else:
            decision = rules.can_change(day, policy, now)
            d.editable, d.reason = decision.ok, decision.reason
            for unit in units:
                cell = Cell(unit=unit)
                b = bookings.get((unit.id, day))
                if b is not None and b.state in STATE_DISPLAY:
                    cell.state, cell.booking_id = b.state, b.id
                    cell.symbol, cell.label = STATE_DISPLAY[b.state]
                left = None
                for g in counter_groups:
                    cap = loaders.capacity_for(unit, group if g else None, day, overrides)
                    if cap is not None:
                        rest = max(cap - occupancy.get((unit.id, g, day), 0), 0)
                        left = rest if left is None else min(left, rest)
                cell.places_left = left
                cell.full = left == 0
                cell.waiting = waiting.get((unit.id, day))
                if not cell.state:
                    if cell.waiting:
                        cell.symbol, cell.label = "LA", "Sur liste d'attente"
                    elif cell.full:
                        cell.symbol, cell.label = "C", "Complet"
                cell.basket = basket_map.get((unit.id, day.isoformat()), "")
                d.cells.append(cell)
        days.append(d)
        day += datetime.timedelta(days=1)
    return days


def month_calendar(*, enrolment, year, month, now=None, basket=()):
    first, last = rules.month_bounds(year, month)
    weeks = rules.month_weeks(year, month)
    units = list(enrolment.activity.units.all())
    days = calendar_days(enrolment=enrolment, start=weeks[0][0], end=weeks[-1][-1], now=now, basket=basket,
                         shown=(first, last), units=units)
    by_date = {d.date: d for d in days}
    return {
        "weeks": [[by_date[day] for day in week] for week in weeks],
        "days": [d for d in days if d.in_range],
        "units": units,
        "first": first, "last": last,
        "label": rules.month_label(year, month),
        "prev": (first - datetime.timedelta(days=1)).replace(day=1),
        "next": last + datetime.timedelta(days=1),
    }


def child_month_planning(*, child, year, month):
    """Seed 002's grid: one row per activity and unit, one column per day of the month. Four queries."""
    first, last = rules.month_bounds(year, month)
    enrolments = list(
        Enrolment.objects.filter(child=child, status=Enrolment.Status.VALIDATED, activity__season_start__lte=last,
                                 activity__season_end__gte=first)
        .select_related("activity__activity_type__structure").prefetch_related("activity__units")
    )
    activities = [e.activity for e in enrolments]
    calendars = loaders.calendars_for(activities)
    bookings = {
        (b.unit_id, b.date): b.state
        for b in Booking.objects.filter(child=child, date__range=(first, last)).only("unit_id", "date", "state")
    }
    dates = [first + datetime.timedelta(days=i) for i in range((last - first).days + 1)]
    rows = []
    for e in enrolments:
        cal = calendars[e.activity_id]
        statuses = [cal.status(d)[0] for d in dates]
        for unit in e.activity.units.all():
            cells = []
            for d, status in zip(dates, statuses):
                state = bookings.get((unit.id, d))
                if state in STATE_DISPLAY:
                    cells.append(STATE_DISPLAY[state])
                elif status != rules.OPEN:
                    cells.append(DAY_DISPLAY[status])
                else:
                    cells.append(("", "Non réservé"))
            rows.append({"enrolment": e, "unit": unit, "cells": cells})
    return {
        "dates": [(d, rules.WEEKDAYS_SHORT_FR[d.weekday()].capitalize()) for d in dates], "rows": rows,
        "label": rules.month_label(year, month), "first": first,
        "prev": (first - datetime.timedelta(days=1)).replace(day=1), "next": last + datetime.timedelta(days=1),
    }


# --------------------------------------------------------------------------- basket recap
def _price_lookup(family, unit_ids, days):
    """{(unit_id, day): Decimal} from billing's pricing, or None while billing has no pricing module."""
    try:
        from billing import pricing
    except ImportError:
        return None
    if not unit_ids or not days:
        return {}
    if hasattr(pricing, "tariff_rules") and hasattr(pricing, "rule_for_day") and hasattr(pricing, "rule_price"):
        tariffs = pricing.tariff_rules(unit_ids=unit_ids, start=min(days), end=max(days))
        prices = {}
        for day in days:
            quotient = family.quotient_on(day)
            for u in unit_ids:
                prices[(u, day)] = pricing.rule_price(pricing.rule_for_day(tariffs.get(u, ()), day), quotient)
        return prices
    prices = {}
    for day in sorted(days):
        for u, p in pricing.unit_prices(family=family, units=list(unit_ids), day=day).items():
            prices[(u, day)] = p
    return prices


def basket_recap(*, family, items):
    """Lines (date, child, activity, unit, action, unit price, cost) and total of a basket."""
    from families.models import Child

    parsed = []
    for child_id, unit_id, day, action in items:
        parsed.append((datetime.date.fromisoformat(day), int(child_id), int(unit_id), action))
    children = {c.id: c for c in Child.objects.filter(family=family, id__in={p[1] for p in parsed})}
    units = Unit.objects.select_related("activity").in_bulk({p[2] for p in parsed})
    prices = _price_lookup(family, sorted({p[2] for p in parsed if p[2] in units and units[p[2]].billable}),
                           {p[0] for p in parsed})
    lines = []
    total = Decimal("0.00")
    for day, child_id, unit_id, action in sorted(parsed):
        child, unit = children.get(child_id), units.get(unit_id)
        if child is None or unit is None:
            continue
        price = None
        if prices is not None:
            price = prices.get((unit_id, day), Decimal("0.00")) if unit.billable else Decimal("0.00")
        cost = None if price is None else (price if action == "book" else -price)
        if cost is not None:
            total += cost
        lines.append({"date": day, "child": child, "unit": unit, "action": action, "price": price, "cost": cost,
                      "key": f"{child_id}:{unit_id}:{day.isoformat()}"})
    return {"lines": lines, "total": total, "priced": prices is not None}


# --------------------------------------------------------------------------- staff
def attendance_sheet(*, day, activity, group=None):
    """Bookings of a day for an activity (and group) with health flags and pick-up persons. Four queries."""
    from families.models import AuthorisedPerson

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
    rows = []
    for b in bookings:
        health = getattr(b.child, "health", None)
        rows.append({"booking": b, "child": b.child, "health": health, "pick_up": persons[b.child_id]})
    return rows


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
        Booking.objects.filter(child__family=family, date__gte=today, state__in=("reserved", "requested", "present"))
        .select_related("child", "unit__activity__activity_type__structure").order_by("date", "unit__start_time")[:1000]
    )


def home_summary(*, family, now=None):
    """Next booked days (up to 5): one query. The pending counts are family counters (enrolment/dashboard.py)."""
    today = timezone.localdate(now or timezone.now(), rules.PARIS)
    upcoming = list(
        Booking.objects.filter(child__family=family, child__is_active=True, date__gte=today,
                               state__in=("reserved", "requested"))
        .select_related("child", "unit__activity").order_by("date", "unit__start_time")[:5]
    )
    return {"upcoming": upcoming}


def pending_enrolments(*, family):
    """Enrolment requests awaiting staff (``family``: a Family, its id or an OuterRef)."""
    return Enrolment.objects.filter(child__family=family, status=Enrolment.Status.PENDING)


def pending_booking_requests(*, family, today):
    """Booking requests awaiting staff, from ``today`` on."""
    return Booking.objects.filter(child__family=family, state=Booking.State.REQUESTED, date__gte=today)
