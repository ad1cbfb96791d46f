"""Load the plain data the pure rules need, in a fixed number of queries, for several activities at once.

The catalogue (activities, units, opening calendars, booking policies, capacity overrides, unit rules)
changes only when staff edit it, and every parent page and booking reads it. It is configuration in the
sense of ``portal.caching``: kept in each process while the configuration version (shared by every server
process) is unchanged; a save or delete of a catalogue row changes it (the models are watched from
``EnrolmentConfig.ready``, the unit rules through ``m2m_changed``). Capacities that decide a booking are
never taken from here: ``services/occupancy.py`` reads them from the database with the locked counters. Writes that
bypass the model signals (``QuerySet.update``, ``bulk_create``, raw SQL) must call ``catalogue_changed()``.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.signals import m2m_changed
from django.utils import timezone

from portal import caching

from . import rules
from .models import (Activity, ActivityType, BookingWindow, CapacityOverride, ClosureDay, Group, OpeningPeriod,
                     SchoolHoliday, Structure, Unit)

CACHE_NAME = "enrolment-catalogue"
KEEP_SEASONS_DAYS = 400  # activities whose season ended longer ago are loaded on demand, not cached
CATALOGUE_MODELS = (Structure, ActivityType, Activity, Group, Unit, OpeningPeriod, ClosureDay, SchoolHoliday,
                    BookingWindow, CapacityOverride)


@dataclass
class Catalogue:
    """Plain catalogue data by id. Model instances here are shared: read them, never change them."""

    activities: dict = field(default_factory=dict)  # {activity_id: Activity (activity_type, structure loaded)}
    units: dict = field(default_factory=dict)  # {unit_id: Unit (its .activity loaded)}
    units_of: dict = field(default_factory=dict)  # {activity_id: [Unit] in display order}
    calendars: dict = field(default_factory=dict)  # {activity_id: rules.OpeningCalendar}
    policies: dict = field(default_factory=dict)  # {activity_id: rules.Policy}
    overrides: dict = field(default_factory=dict)  # {(unit_id, group_id or None, date): capacity}
    incompatible: dict = field(default_factory=dict)  # {unit_id: {unit_id}} (all units)
    required: dict = field(default_factory=dict)  # {unit_id: {unit_id}} (all units)
    # Derived data that depends only on this catalogue (e.g. selectors' day statuses of a month), kept as
    # long as the catalogue is: the same for every family, computed once per worker and catalogue version.
    memo: dict = field(default_factory=dict)

    def merge(self, other):
        for name in ("activities", "units", "units_of", "calendars", "policies", "overrides"):
            getattr(self, name).update(getattr(other, name))
        return self


# --------------------------------------------------------------------------- cache
def catalogue_changed(**kwargs):
    """The catalogue changed: every worker rebuilds it (helper for writes that send no model signal)."""
    caching.config_changed()


def unit_rules_changed(action=None, **kwargs):
    """m2m_changed receiver for the unit rules (incompatible and required units)."""
    if action in ("post_add", "post_remove", "post_clear"):
        catalogue_changed()


def connect_signals():
    caching.watch(*CATALOGUE_MODELS)  # the tariffs: by the price provider's registration (prices.py)
    for through in (Unit.incompatible_units.through, Unit.required_units.through):
        m2m_changed.connect(unit_rules_changed, sender=through, dispatch_uid=f"catalogue-m2m-{through.__name__}")


def _build_recent():
    today = timezone.localdate(timezone.now(), rules.PARIS)
    return _build(Activity.objects.filter(season_end__gte=today - datetime.timedelta(days=KEEP_SEASONS_DAYS)),
                  with_unit_rules=True)


def catalogue(*, verified=False):
    """The cached catalogue of the current and recent seasons: no query when warm. ``verified``: checked
    against the configuration version in the database (one query) rather than the shared cache, for
    decisions such as a booking commit."""
    return caching.cached_config(CACHE_NAME, _build_recent, models=CATALOGUE_MODELS, verified=verified)


def catalogue_for(activity_ids, *, verified=False):
    """The cached catalogue, completed (uncached) with any activity of ``activity_ids`` it lacks."""
    cat = catalogue(verified=verified)
    missing = {a for a in activity_ids if a not in cat.activities}
    if not missing:
        return cat
    extra = _build(Activity.objects.filter(id__in=missing))
    return Catalogue(incompatible=cat.incompatible, required=cat.required).merge(cat).merge(extra)


def _build(activities_qs, with_unit_rules=False):
    """Load a catalogue for the activities of ``activities_qs``: seven queries (nine with the unit rules)."""
    cat = Catalogue()
    activities = list(activities_qs.select_related("activity_type__structure").order_by("id"))
    cat.activities = {a.id: a for a in activities}
    ids = list(cat.activities)
    for u in Unit.objects.filter(activity_id__in=ids).order_by("activity_id", "order", "id"):
        u.activity = cat.activities[u.activity_id]
        cat.units[u.id] = u
        cat.units_of.setdefault(u.activity_id, []).append(u)
    cat.calendars = _calendars_load(activities)
    cat.policies = _policies_load(activities)
    cat.overrides = {(o.unit_id, o.group_id, o.date): o.capacity
                     for o in CapacityOverride.objects.filter(unit_id__in=list(cat.units))}
    if with_unit_rules:
        cat.incompatible, cat.required = _unit_rules_load(None)
    return cat


# --------------------------------------------------------------------------- public loaders
def calendars_for(activities):
    """{activity_id: OpeningCalendar}: from the cache (no query) or in three queries."""
    ids = [a.id for a in activities]
    if not ids:
        return {}
    cat = catalogue_for(ids)
    return {pk: cat.calendars[pk] for pk in ids}


def policies_for(activities):
    """{activity_id: Policy}: from the cache (no query) or in one query."""
    ids = [a.id for a in activities]
    if not ids:
        return {}
    cat = catalogue_for(ids)
    return {pk: cat.policies[pk] for pk in ids}


def units_for(activity_id):
    """The units of an activity in display order (shared instances: read only)."""
    return list(catalogue_for([activity_id]).units_of.get(activity_id, ()))


def unit_rules_for(unit_ids):
    """({unit: incompatible ids}, {unit: required ids}) from the cache."""
    cat = catalogue()
    return cat.incompatible, cat.required


def overrides_for(unit_ids, dates):
    """{(unit_id, group_id or None, date): capacity}; ``dates`` is a (start, end) range or a set."""
    unit_ids = set(unit_ids)
    cat = catalogue()
    if not unit_ids <= set(cat.units):
        qs = CapacityOverride.objects.filter(unit_id__in=unit_ids)
        qs = qs.filter(date__range=dates) if isinstance(dates, tuple) else qs.filter(date__in=dates)
        return {(o.unit_id, o.group_id, o.date): o.capacity for o in qs}
    if isinstance(dates, tuple):
        inside = lambda d: dates[0] <= d <= dates[1]  # noqa: E731
    else:
        inside = dates.__contains__
    return {k: v for k, v in cat.overrides.items() if k[0] in unit_ids and inside(k[2])}


def capacity_for(unit, group, day, overrides):
    """Capacity of the (unit, group) counter on ``day``; group None is the unit-wide counter."""
    if group is None:
        return overrides.get((unit.id, None, day), unit.capacity)
    return overrides.get((unit.id, group.id, day), group.capacity)


def counter_groups(group):
    """The counters a booking of a child of ``group`` uses: the unit-wide one, and the group's if it has a capacity."""
    return [None] if group.capacity is None else [None, group]


# --------------------------------------------------------------------------- loading (uncached)
def _calendars_load(activities):
    """{activity_id: OpeningCalendar} in three queries whatever the number of activities."""
    if not activities:
        return {}
    ids = [a.id for a in activities]
    structure_of = {a.id: a.activity_type.structure_id for a in activities}
    openings = defaultdict(list)
    for p in OpeningPeriod.objects.filter(activity_id__in=ids).order_by("activity_id", "start_date", "id"):
        openings[p.activity_id].append(rules.Opening(p.start_date, p.end_date, p.weekdays, p.skip_school_holidays))
    closures = defaultdict(dict)
    start = min(a.season_start for a in activities)
    end = max(a.season_end for a in activities)
    by_structure = defaultdict(list)
    for a in activities:
        by_structure[structure_of[a.id]].append(a.id)
    for c in ClosureDay.objects.filter(
        Q(activity_id__in=ids) | Q(structure_id__in=set(structure_of.values())), date__range=(start, end)
    ).order_by("date", "id"):
        targets = [c.activity_id] if c.activity_id is not None else by_structure.get(c.structure_id, ())
        for pk in targets:
            if pk in structure_of:
                closures[pk][c.date] = c.reason
    holidays = [(h.start_date, h.end_date) for h in SchoolHoliday.objects.filter(end_date__gte=start,
                                                                                 start_date__lte=end)]
    return {
        a.id: rules.OpeningCalendar(a.season_start, a.season_end, openings[a.id], holidays, closures[a.id])
        for a in activities
    }


def _policies_load(activities):
    """{activity_id: Policy} in one query (none without window activities)."""
    windows = defaultdict(list)
    window_ids = [a.id for a in activities if a.booking_rule == rules.WINDOW]
    if window_ids:
        for w in BookingWindow.objects.filter(activity_id__in=window_ids).order_by("period_start"):
            windows[w.activity_id].append(rules.Window(
                w.period_start, w.period_end, w.opens_on, w.closes_on, w.name, w.opening_mode, w.requests_open_at,
                w.requests_close_at, w.results_at))
    return {
        a.id: rules.Policy(a.booking_rule, a.deadline_day, a.notice_days, a.notice_time, tuple(windows[a.id]))
        for a in activities
    }


def _unit_rules_load(unit_ids):
    """({unit: incompatible ids}, {unit: required ids}) in two queries (``unit_ids`` None: every unit)."""
    incompatible = defaultdict(set)
    required = defaultdict(set)
    through = Unit.incompatible_units.through
    qs = through.objects.all()
    if unit_ids is not None:
        qs = qs.filter(Q(from_unit_id__in=unit_ids) | Q(to_unit_id__in=unit_ids))
    for a, b in qs.values_list("from_unit_id", "to_unit_id"):
        incompatible[a].add(b)
        incompatible[b].add(a)
    through = Unit.required_units.through
    qs = through.objects.all()
    if unit_ids is not None:
        qs = qs.filter(from_unit_id__in=unit_ids)
    for a, b in qs.values_list("from_unit_id", "to_unit_id"):
        required[a].add(b)
    return dict(incompatible), dict(required)
