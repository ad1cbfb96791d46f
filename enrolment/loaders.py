"""Load the plain data the pure rules need, in a fixed number of queries, for several activities at once."""
from collections import defaultdict

from django.db.models import Q

from . import rules
from .models import BookingWindow, CapacityOverride, ClosureDay, OpeningPeriod, SchoolHoliday, Unit


def calendars_for(activities):
    """{activity_id: OpeningCalendar} in three queries whatever the number of activities."""
    activities = list(activities)
    if not activities:
        return {}
    ids = [a.id for a in activities]
    structure_of = {a.id: a.activity_type.structure_id for a in activities}
    openings = defaultdict(list)
    for p in OpeningPeriod.objects.filter(activity_id__in=ids):
        openings[p.activity_id].append(rules.Opening(p.start_date, p.end_date, p.weekdays, p.skip_school_holidays))
    closures = defaultdict(dict)
    start = min(a.season_start for a in activities)
    end = max(a.season_end for a in activities)
    for c in ClosureDay.objects.filter(
        Q(activity_id__in=ids) | Q(structure_id__in=set(structure_of.values())), date__range=(start, end)
    ):
        for a in activities:
            if c.activity_id == a.id or (c.activity_id is None and c.structure_id == structure_of[a.id]):
                closures[a.id][c.date] = c.reason
    holidays = [(h.start_date, h.end_date) for h in SchoolHoliday.objects.filter(end_date__gte=start,
                                                                                 start_date__lte=end)]
    return {
        a.id: rules.OpeningCalendar(a.season_start, a.season_end, openings[a.id], holidays, closures[a.id])
        for a in activities
    }


def policies_for(activities):
    """{activity_id: Policy} in one query."""
    activities = list(activities)
    windows = defaultdict(list)
    window_ids = [a.id for a in activities if a.booking_rule == rules.WINDOW]
    if window_ids:
        for w in BookingWindow.objects.filter(activity_id__in=window_ids).order_by("period_start"):
            windows[w.activity_id].append(rules.Window(w.period_start, w.period_end, w.opens_on, w.closes_on, w.name))
    return {
        a.id: rules.Policy(a.booking_rule, a.deadline_day, a.notice_days, a.notice_time, tuple(windows[a.id]))
        for a in activities
    }


def unit_rules_for(unit_ids):
    """({unit: incompatible ids}, {unit: required ids}) in two queries."""
    incompatible = defaultdict(set)
    required = defaultdict(set)
    through = Unit.incompatible_units.through
    for a, b in through.objects.filter(Q(from_unit_id__in=unit_ids) | Q(to_unit_id__in=unit_ids)).values_list(
        "from_unit_id", "to_unit_id"
    ):
        incompatible[a].add(b)
        incompatible[b].add(a)
    through = Unit.required_units.through
    for a, b in through.objects.filter(from_unit_id__in=unit_ids).values_list("from_unit_id", "to_unit_id"):
        required[a].add(b)
    return incompatible, required


def overrides_for(unit_ids, dates):
    """{(unit_id, group_id or None, date): capacity} in one query; ``dates`` is a (start, end) range or a set."""
    qs = CapacityOverride.objects.filter(unit_id__in=unit_ids)
    qs = qs.filter(date__range=dates) if isinstance(dates, tuple) else qs.filter(date__in=dates)
    return {(o.unit_id, o.group_id, o.date): o.capacity for o in qs}


def capacity_for(unit, group, day, overrides):
    """Capacity of the (unit, group) counter on ``day``; group None is the unit-wide counter."""
    if group is None:
        return overrides.get((unit.id, None, day), unit.capacity)
    return overrides.get((unit.id, group.id, day), group.capacity)


def counter_groups(group):
    """The counters a booking of a child of ``group`` uses: the unit-wide one, and the group's if it has a capacity."""
    return [None] if group.capacity is None else [None, group]
