"""Load the plain data the pure rules need, in a fixed number of queries, for several activities at once.

The catalogue (activities, units, opening calendars, booking policies, capacity overrides, unit rules)
changes only when staff edit it, and every parent page and booking reads it. It is kept in the Django
cache (Redis in production, locmem in development and tests) as one entry per *catalogue version*, plus a
copy in the worker's memory for the same version. The version is a random token stored under
``VERSION_KEY``; every save or delete of a catalogue model replaces it (``catalogue_changed``, connected
in ``EnrolmentConfig.ready``), immediately and again after commit, so a cached catalogue is never used
after the change that made it stale. Writes that bypass the model signals (``QuerySet.update``,
``bulk_create``, raw SQL) must call ``catalogue_changed()`` themselves.
"""
import datetime
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import rules
from .models import (Activity, ActivityType, BookingWindow, CapacityOverride, ClosureDay, Group, OpeningPeriod,
                     SchoolHoliday, Structure, Unit)

VERSION_KEY = "enrolment:catalogue:version"
DATA_KEY = "enrolment:catalogue:2:{version}"  # bump the number when Catalogue changes shape
# Signals make the cache exact; the timeout bounds how long a write that sent no signal (a bulk
# ``QuerySet.update()``, raw SQL) can go unseen, as in portal.caching.
DATA_TIMEOUT = 600
KEEP_SEASONS_DAYS = 400  # activities whose season ended longer ago are loaded on demand, not cached
CATALOGUE_MODELS = (Structure, ActivityType, Activity, Group, Unit, OpeningPeriod, ClosureDay, SchoolHoliday,
                    BookingWindow, CapacityOverride)


@dataclass
class Catalogue:
    """Plain catalogue data by id. Model instances here are shared: read them, never change them."""

    version: str = ""
    expires: float = 0.0  # time.time() after which it is rebuilt, even without a signal
    activities: dict = field(default_factory=dict)  # {activity_id: Activity (activity_type, structure loaded)}
    units: dict = field(default_factory=dict)  # {unit_id: Unit (its .activity loaded)}
    units_of: dict = field(default_factory=dict)  # {activity_id: [Unit] in display order}
    calendars: dict = field(default_factory=dict)  # {activity_id: rules.OpeningCalendar}
    policies: dict = field(default_factory=dict)  # {activity_id: rules.Policy}
    overrides: dict = field(default_factory=dict)  # {(unit_id, group_id or None, date): capacity}
    incompatible: dict = field(default_factory=dict)  # {unit_id: {unit_id}} (all units)
    required: dict = field(default_factory=dict)  # {unit_id: {unit_id}} (all units)

    def merge(self, other):
        for name in ("activities", "units", "units_of", "calendars", "policies", "overrides"):
            getattr(self, name).update(getattr(other, name))
        return self


# --------------------------------------------------------------------------- cache
_local = [None]  # this worker's copy of the cached catalogue (one slot: read and replaced atomically)


def catalogue_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY)
    return version


def _bump():
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)
    _local[0] = None


def catalogue_changed(**kwargs):
    """The catalogue changed (post_save / post_delete receiver, and helper for bulk writes): drop every
    cached copy. Bumped now (this transaction reads fresh data) and again after commit (so a copy cached
    by a reader from the old rows while the change was not yet committed is never used either).
    """
    _bump()
    transaction.on_commit(_bump)


def unit_rules_changed(action=None, **kwargs):
    """m2m_changed receiver for the unit rules (incompatible and required units)."""
    if action in ("post_add", "post_remove", "post_clear"):
        catalogue_changed()


def connect_signals():
    from django.db.models.signals import m2m_changed, post_delete, post_save

    for model in CATALOGUE_MODELS:
        post_save.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-save-{model.__name__}")
        post_delete.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-delete-{model.__name__}")
    for through in (Unit.incompatible_units.through, Unit.required_units.through):
        m2m_changed.connect(unit_rules_changed, sender=through, dispatch_uid=f"catalogue-m2m-{through.__name__}")


def catalogue():
    """The cached catalogue of the current and recent seasons: no query when warm."""
    version = catalogue_version()
    local = _local[0]
    if local is not None and local.version == version and time.time() < local.expires:
        return local
    key = DATA_KEY.format(version=version)
    data = cache.get(key)
    if not isinstance(data, Catalogue) or not time.time() < data.expires:  # missing, or from older code
        today = timezone.localdate(timezone.now(), rules.PARIS)
        data = _build(Activity.objects.filter(season_end__gte=today - datetime.timedelta(days=KEEP_SEASONS_DAYS)),
                      with_unit_rules=True)
        data.version, data.expires = version, time.time() + DATA_TIMEOUT
        cache.set(key, data, DATA_TIMEOUT)
    _local[0] = data
    return data


def catalogue_for(activity_ids):
    """The cached catalogue, completed (uncached) with any activity of ``activity_ids`` it lacks."""
    cat = catalogue()
    missing = {a for a in activity_ids if a not in cat.activities}
    if not missing:
        return cat
    extra = _build(Activity.objects.filter(id__in=missing))
    return Catalogue(version=cat.version, incompatible=cat.incompatible, required=cat.required).merge(cat).merge(extra)


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
            windows[w.activity_id].append(rules.Window(w.period_start, w.period_end, w.opens_on, w.closes_on, w.name))
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
