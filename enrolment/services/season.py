"""« Dupliquer pour la saison suivante »: copy activities to the next season, shown first as a preview.

An activity is copied with its groups, units, unit rules (incompatible and required units), opening periods,
booking rule, booking windows and capacities, and what the registered contributors add (billing's tariffs,
``enrolment/season.py``). Dates move on by one year:

- the season, the enrolment dates and what contributors date (tariffs) by the calendar (01/09 → 01/09);
- days of the opening calendar (opening periods, booking windows) by 52 weeks, so a week that opened on a
  Monday still opens on a Monday; an opening period that started or ended with the season starts or ends with
  the new one, and none goes outside it. Weekday flags are copied as they are: a Wednesday period stays on
  Wednesdays;
- a period (and its booking window) lying in a school holiday lands on next year's holiday of the same name
  when it is imported (Toussaint 2026 → Toussaint 2027, a whole number of weeks later).

Closure days and one-day capacities are not copied: they belong to one year's calendar. Bookings,
enrolments and waiting lists are never copied.

A season is copied once: ``Activity.previous_season`` is one-to-one, and an activity of the same type, name
and season start refuses the copy too.
"""
import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.errors import EnrolmentError
from portal.models import AuditLog

from .. import loaders, rules
from ..models import WEEKDAY_FIELDS, Activity, BookingWindow, Group, OpeningPeriod, SchoolHoliday, Unit
from ..season import season_contributors


HOLIDAY_SLACK = datetime.timedelta(days=3)  # a holiday centre may open on the Monday after a Saturday start


@dataclass(frozen=True)
class SeasonShift:
    """How one activity's dates and names move on to the next season. ``holidays``: ((first day, last day,
    days to add)) of this season's school holidays whose next-year namesake is known (see ``holiday_moves``)."""

    season_start: object
    season_end: object
    holidays: tuple = ()

    @property
    def new_season_start(self):
        return rules.shift_year(self.season_start)

    @property
    def new_season_end(self):
        return rules.shift_year(self.season_end)

    def date(self, day):
        """A calendar date (season, enrolment dates, tariffs): same day and month, next year."""
        return rules.shift_year(day)

    def day(self, day):
        """A day of the opening calendar: same weekday, 52 weeks on, kept inside the new season."""
        if day is None:
            return None
        if day == self.season_start:
            return self.new_season_start
        if day == self.season_end:
            return self.new_season_end
        return rules.shift_year_same_weekday(day)

    def in_season(self, day):
        return min(max(self.day(day), self.new_season_start), self.new_season_end)

    def holiday_delta(self, start, end):
        """The days to add to a period lying in a school holiday (give or take a weekend) so that it lies in
        next year's holiday of the same name, or None."""
        for first, last, delta in self.holidays:
            if first - HOLIDAY_SLACK <= start and end <= last + HOLIDAY_SLACK:
                return delta
        return None

    def period(self, start, end):
        """(new first day, new last day) of an opening period: onto next year's holiday when it lies in a
        school holiday, else 52 weeks on, inside the new season."""
        delta = self.holiday_delta(start, end)
        if delta is not None:
            return start + delta, end + delta
        return self.in_season(start), self.in_season(end)

    def window(self, w):
        """(period start, period end, opens on, closes on) of a booking window next year: the booking dates
        move with the days they open."""
        delta = self.holiday_delta(w.period_start, w.period_end)
        if delta is not None:
            return (w.period_start + delta, w.period_end + delta, w.opens_on and w.opens_on + delta,
                    w.closes_on + delta)
        return self.day(w.period_start), self.day(w.period_end), self.day(w.opens_on), self.day(w.closes_on)

    def text(self, text):
        return rules.shift_years_in_text(text, range(self.season_start.year, self.season_end.year + 1))


@dataclass
class ActivityPlan:
    """What copying one activity would create (the preview), or why it cannot be copied."""

    activity: Activity
    shift: SeasonShift
    new_name: str
    groups: list
    units: list  # [(Unit, [incompatible unit names], [required unit names])]
    periods: list  # [(OpeningPeriod, new start, new end, "mercredi, …")]
    windows: list  # [(BookingWindow, new name, new period start, new period end, new opens_on, new closes_on)]
    extras: list = field(default_factory=list)  # [(label, [(unit name, [lines])])] from the contributors
    conflict: str = ""

    @property
    def new_enrolment_opens(self):
        return self.shift.date(self.activity.enrolment_opens)

    @property
    def new_enrolment_closes(self):
        return self.shift.date(self.activity.enrolment_closes)


def _activities(activity_ids, *, lock=False):
    qs = Activity.objects.filter(pk__in=activity_ids).select_related("activity_type__structure").order_by("name")
    if lock:
        qs = qs.select_for_update(of=("self",))
    return list(qs)


def season_copy_preview(*, activity_ids):
    """The plan of each activity (a fixed number of queries, whatever the number of activities)."""
    activities = _activities(activity_ids)
    if not activities:
        raise EnrolmentError("Choisissez au moins une activité à dupliquer.")
    ids = [a.pk for a in activities]
    groups, units, periods, windows = (defaultdict(list) for _ in range(4))
    for g in Group.objects.filter(activity_id__in=ids).order_by("pk"):
        groups[g.activity_id].append(g)
    unit_rows = list(Unit.objects.filter(activity_id__in=ids).prefetch_related("incompatible_units",
                                                                              "required_units"))
    for u in unit_rows:
        units[u.activity_id].append((u, [x.name for x in u.incompatible_units.all()],
                                     [x.name for x in u.required_units.all()]))
    for p in OpeningPeriod.objects.filter(activity_id__in=ids):
        periods[p.activity_id].append(p)
    for w in BookingWindow.objects.filter(activity_id__in=ids):
        windows[w.activity_id].append(w)
    taken = _taken(activities)
    moves = holiday_moves(min(a.season_start for a in activities), max(a.season_end for a in activities))
    plans = []
    for a in activities:
        shift = SeasonShift(a.season_start, a.season_end, moves)
        new_name = shift.text(a.name)
        plan = ActivityPlan(
            activity=a, shift=shift, new_name=new_name, groups=groups[a.pk], units=units[a.pk],
            periods=[(p, *shift.period(p.start_date, p.end_date),
                      ", ".join(rules.WEEKDAYS_FR[i] for i in sorted(p.weekdays)) or "aucun jour")
                     for p in periods[a.pk]],
            windows=[(w, shift.text(w.name), *shift.window(w)) for w in windows[a.pk]],
            conflict=taken.get(a.pk, ""),
        )
        plans.append(plan)
    shifts = {u.pk: plan.shift for plan in plans for u, _, _ in plan.units}
    for contributor in season_contributors():
        lines = contributor.describe(shifts=shifts) if shifts else {}
        for plan in plans:
            rows = [(u.name, lines[u.pk]) for u, _, _ in plan.units if lines.get(u.pk)]
            if rows:
                plan.extras.append((contributor.label, rows))
    return plans


def holiday_moves(first, last):
    """((first day, last day, days to add)) of the school holidays between ``first`` and ``last`` whose namesake
    of the next year is imported (« Vacances de la Toussaint » 2026 → 2027), when the move keeps the weekday.
    A holiday centre's periods then land on next year's holidays rather than 52 weeks on."""
    rows = list(SchoolHoliday.objects.filter(start_date__gte=first, start_date__lte=rules.shift_year(last))
                .order_by("start_date"))
    out = []
    for h in rows:
        later = next((n for n in rows if n.name == h.name and 330 <= (n.start_date - h.start_date).days <= 400), None)
        if later is not None and h.start_date <= last and (later.start_date - h.start_date).days % 7 == 0:
            out.append((h.start_date, h.end_date, later.start_date - h.start_date))
    return tuple(out)


def _taken(activities):
    """{activity id: why it cannot be copied} for activities whose next season already exists."""
    out = {}
    copied = dict(Activity.objects.filter(previous_season__in=activities).values_list("previous_season_id", "name"))
    keys = {(a.activity_type_id, SeasonShift(a.season_start, a.season_end).text(a.name),
             rules.shift_year(a.season_start)): a for a in activities}
    same = Activity.objects.filter(activity_type_id__in={k[0] for k in keys}, name__in={k[1] for k in keys},
                                   season_start__in={k[2] for k in keys})
    for other in same:
        a = keys.get((other.activity_type_id, other.name, other.season_start))
        if a is not None and a.pk != other.pk:
            out[a.pk] = f"La saison suivante existe déjà : « {other.name} »."
    for pk, name in copied.items():
        out[pk] = f"Déjà dupliquée pour la saison suivante : « {name} »."
    return out


def season_copy(*, activity_ids, by, now=None):
    """Create the next season of each activity, as previewed, in one transaction; audited. Refuses the whole
    copy when one activity's next season already exists. Returns the new activities."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            _activities(activity_ids, lock=True)  # two staff confirming at once: the second sees the first's copy
            plans = season_copy_preview(activity_ids=activity_ids)
            refused = [f"« {p.activity.name} » : {p.conflict}" for p in plans if p.conflict]
            if refused:
                raise EnrolmentError("Rien n'a été créé. " + " ".join(refused))
            created, unit_maps = [], []
            for plan in plans:
                unit_map = {}
                created.append(_copy_one(plan, unit_map))
                unit_maps.append(unit_map)
            unit_map = {old: new for m in unit_maps for old, new in m.items()}
            _copy_unit_rules(unit_map)
            extra = {c.label: sum(c.copy(unit_map=m, shift=p.shift) for p, m in zip(plans, unit_maps))
                     for c in season_contributors()}
            loaders.catalogue_changed()  # bulk_create sends no model signal
            AuditLog.objects.create(
                actor=by, action="enrolment.season_copy",
                summary=f"Saison suivante créée pour {len(created)} activité(s) : "
                        f"{', '.join(a.name for a in created)}"[:300],
                old_values={"activities": [p.activity.pk for p in plans]},
                new_values={"activities": [a.pk for a in created], "units": len(unit_map), **extra,
                            "at": now.isoformat()},
            )
    except IntegrityError:
        raise EnrolmentError("Cette saison vient d'être dupliquée par une autre personne : rechargez la page.") from None
    return created


def _copy_one(plan, unit_map):
    old, shift = plan.activity, plan.shift
    new = Activity.objects.get(pk=old.pk)
    new.pk = new.id = None
    new.name, new.previous_season = plan.new_name, old
    new.season_start, new.season_end = shift.new_season_start, shift.new_season_end
    new.enrolment_opens, new.enrolment_closes = plan.new_enrolment_opens, plan.new_enrolment_closes
    new.save(force_insert=True)
    Group.objects.bulk_create([
        Group(activity=new, name=g.name, school_stage=g.school_stage, min_age=g.min_age, max_age=g.max_age,
              capacity=g.capacity) for g in plan.groups])
    olds = [u for u, _, _ in plan.units]
    news = Unit.objects.bulk_create([
        Unit(activity=new, name=u.name, code=u.code, start_time=u.start_time, end_time=u.end_time,
             capacity=u.capacity, is_regular=u.is_regular, billable=u.billable, order=u.order) for u in olds])
    unit_map.update({o.pk: n for o, n in zip(olds, news)})
    OpeningPeriod.objects.bulk_create([
        OpeningPeriod(activity=new, name=shift.text(p.name), start_date=start, end_date=end,
                      skip_school_holidays=p.skip_school_holidays, **{f: getattr(p, f) for f in WEEKDAY_FIELDS})
        for p, start, end, _ in plan.periods])
    BookingWindow.objects.bulk_create([
        BookingWindow(activity=new, name=name, period_start=ps, period_end=pe, opens_on=op, closes_on=cl)
        for _, name, ps, pe, op, cl in plan.windows])
    return new


def _copy_unit_rules(unit_map):
    """Incompatible and required units, between the new units (a rule to a unit not copied is dropped)."""
    for m2m in (Unit.incompatible_units, Unit.required_units):
        through = m2m.through
        rows = through.objects.filter(from_unit_id__in=list(unit_map), to_unit_id__in=list(unit_map))
        through.objects.bulk_create(
            [through(from_unit_id=unit_map[r.from_unit_id].pk, to_unit_id=unit_map[r.to_unit_id].pk) for r in rows],
            ignore_conflicts=True)


def copyable_activities(*, today=None):
    """Activities staff may copy: the current and last seasons', not yet copied, most recent first."""
    today = today or timezone.localdate(timezone.now(), rules.PARIS)
    return list(Activity.objects.filter(season_end__gte=today.replace(year=today.year - 1, day=1),
                                        next_season__isnull=True)
                .select_related("activity_type__structure").order_by("-season_start", "name")[:300])
