"""Pure booking rules: deadlines, unit compatibility, eligibility and opening days.

No ORM here. Selectors and services load plain data and call these functions; tests call them directly.
Every instant is computed in Europe/Paris.
"""
import calendar as _calendar
import datetime
import re
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays as _holidays

PARIS = ZoneInfo("Europe/Paris")

MONTHLY, WINDOW, NOTICE = "monthly", "window", "notice"
FIRST_COME, REQUESTS = "first_come", "requests"  # a window's opening mode (BookingWindow.OpeningMode)

MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
             "novembre", "décembre")
WEEKDAYS_FR = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
WEEKDAYS_SHORT_FR = ("lu", "ma", "me", "je", "ve", "sa", "di")


# --------------------------------------------------------------------------- deadlines
@dataclass(frozen=True)
class Window:
    period_start: datetime.date
    period_end: datetime.date
    opens_on: datetime.date | None
    closes_on: datetime.date
    name: str = ""
    mode: str = FIRST_COME
    requests_open_at: datetime.datetime | None = None
    requests_close_at: datetime.datetime | None = None
    results_at: datetime.datetime | None = None


@dataclass(frozen=True)
class Policy:
    rule: str = MONTHLY
    deadline_day: int = 20
    notice_days: int = 2
    notice_time: datetime.time = datetime.time(12, 0)
    windows: tuple = ()


def paris_midnight(day):
    """The first instant of ``day`` in Paris, as an aware datetime."""
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=PARIS)


def fr_datetime(moment):
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m/%Y} à {local.hour} h {local.minute:02d}"


def last_minute(closing):
    """A human version of "open until just before ``closing``": the minute before it, in Paris."""
    return fr_datetime(closing - datetime.timedelta(minutes=1))


def monthly_deadline_date(day, deadline_day):
    """Last day on which ``day`` may be changed under the monthly rule: day D of the previous month."""
    first = day.replace(day=1)
    prev = first - datetime.timedelta(days=1)
    d = min(deadline_day, _calendar.monthrange(prev.year, prev.month)[1])
    return prev.replace(day=d)


def window_for(day, policy):
    for w in policy.windows:
        if w.period_start <= day <= w.period_end:
            return w
    return None


def booking_closes_at(day, policy):
    """The instant from which ``day`` can no longer be booked or changed (None: never bookable)."""
    if policy.rule == MONTHLY:
        return paris_midnight(monthly_deadline_date(day, policy.deadline_day) + datetime.timedelta(days=1))
    if policy.rule == WINDOW:
        w = window_for(day, policy)
        if w is None:
            return None
        return paris_midnight(w.closes_on + datetime.timedelta(days=1))
    return cancellation_deadline(day, policy)


def booking_opens_at(day, policy):
    if policy.rule == WINDOW:
        w = window_for(day, policy)
        if w is not None and w.opens_on:
            return paris_midnight(w.opens_on)
    return None


@dataclass(frozen=True)
class Decision:
    ok: bool
    reason: str = ""
    # A window in its request phase: the parent may ask for the day (or withdraw the request); nothing is
    # booked, no place is taken. ``reason`` then says when the allocation is published.
    request: bool = False


def fr_short_datetime(moment):
    """« 13/06 à 18 h » (« 13/06 à 18 h 30 »), in Paris."""
    local = moment.astimezone(PARIS)
    return f"{local:%d/%m} à {local.hour} h" + (f" {local.minute:02d}" if local.minute else "")


def request_phase_note(window):
    """« Demande enregistrée — attribution le 13/06 à 18 h », what the calendar says of a request."""
    when = window.results_at or window.requests_close_at
    return f"Demande enregistrée — attribution le {fr_short_datetime(when)}"


def request_phase_decision(window, now):
    """The decision for a day of a window in request mode (``window.mode == REQUESTS``)."""
    if now < window.requests_open_at:
        return Decision(False, f"Phase de demandes à partir du {fr_datetime(window.requests_open_at)}.")
    if now < window.requests_close_at:
        return Decision(True, request_phase_note(window), request=True)
    when = window.results_at or window.requests_close_at
    return Decision(False, f"Phase de demandes close : attribution des places le {fr_short_datetime(when)}.")


def can_change(day, policy, now):
    """May a parent book or cancel ``day`` at ``now``? Returns a Decision with a French reason (a window in
    its request phase: ``request`` set, the parent asks rather than books)."""
    if policy.rule == WINDOW:
        w = window_for(day, policy)
        if w is None:
            return Decision(False, "Hors période de réservation : ce jour n'est dans aucune période ouverte.")
        if w.mode == REQUESTS:
            return request_phase_decision(w, now)
    opens = booking_opens_at(day, policy)
    if opens is not None and now < opens:
        return Decision(False, f"Réservations ouvertes à partir du {opens.astimezone(PARIS):%d/%m/%Y}.")
    closes = booking_closes_at(day, policy)
    if now >= closes:
        if policy.rule == MONTHLY:
            why = f"Hors délai : les modifications de ce mois étaient possibles jusqu'au {last_minute(closes)}."
        elif policy.rule == WINDOW:
            why = f"Hors délai : la période de réservation était ouverte jusqu'au {last_minute(closes)}."
        else:
            why = f"Hors délai : les modifications de ce jour étaient possibles jusqu'au {fr_datetime(closes)}."
        return Decision(False, why)
    return Decision(True)


def cancellation_deadline(day, policy):
    """Free cancellation until N days before ``day`` at HH:MM (Paris)."""
    return datetime.datetime.combine(day - datetime.timedelta(days=policy.notice_days), policy.notice_time,
                                     tzinfo=PARIS)


def cancellation_is_free(day, policy, now):
    return now < cancellation_deadline(day, policy)


def fr_day_month(day, *, year_of=None):
    """« 20 janvier », « 1er février »; the year is added when it differs from ``year_of``."""
    text = f"{'1er' if day.day == 1 else day.day} {MONTHS_FR[day.month - 1]}"
    return text if year_of == day.year else f"{text} {day.year}"


def fr_time(moment):
    local = moment.astimezone(PARIS)
    return f"{local.hour} h {local.minute:02d}"


def _span_text(start, end, year_of):
    """« du 5 au 25 janvier », « du 5 janvier au 4 février »."""
    if start.year == end.year and start.month == end.month:
        return f"du {'1er' if start.day == 1 else start.day} au {fr_day_month(end, year_of=year_of)}"
    return f"du {fr_day_month(start, year_of=end.year if start.year == end.year else None)} au " \
           f"{fr_day_month(end, year_of=year_of)}"


def _months_from(first, last):
    """The first day of each month from ``first``'s month to ``last``'s."""
    day = first.replace(day=1)
    while day <= last:
        yield day
        day = (day + datetime.timedelta(days=32)).replace(day=1)


def first_changeable_day(policy, calendar, now):
    """The first opening day a parent may still book or cancel at ``now`` (None: none left this season)."""
    today = now.astimezone(PARIS).date()
    start = max(today, calendar.season_start)
    for month_first in _months_from(start, calendar.season_end):
        if policy.rule == MONTHLY and now >= booking_closes_at(month_first, policy):
            continue  # the whole month is locked: no need to look at its days
        _, month_last = month_bounds(month_first.year, month_first.month)
        for day in calendar.open_days(max(month_first, start), month_last):
            if can_change(day, policy, now).ok:
                return day
    return None


def first_changeable_date(policy, calendar, now):
    """The day the calendars open on: the first day that can still change, else today (clamped to the
    season). The month opens on its month, the week and the fortnight on its week."""
    day = first_changeable_day(policy, calendar, now)
    if day is None:
        today = now.astimezone(PARIS).date()
        day = min(max(today, calendar.season_start), calendar.season_end)
    return day


def first_changeable_month(policy, calendar, now):
    """(year, month) the calendars open on: the month of ``first_changeable_date``."""
    day = first_changeable_date(policy, calendar, now)
    return day.year, day.month


def contract_units(prebook_regular, units):
    """The units of an enrolment's contract: when the activity pre-books its regular units (« réserver
    automatiquement les unités régulières »), a validated enrolment books those units on every opening day
    (services.booking.enrolment_prebook) — that is the contract. Returns their ids, or None when the
    activity has no contract (nothing pre-booked: every booking is an ordinary one). ``units``: the
    activity's units (anything with ``id`` and ``is_regular``)."""
    if not prebook_regular:
        return None
    regular = frozenset(u.id for u in units if u.is_regular)
    return regular or None


def off_contract(state, unit_id, contract):
    """True for a booking outside the contract (``contract_units``): a day reserved on a unit the contract
    does not pre-book. Billed as any booking; only what the calendars say of it changes. A requested,
    refused, attended or absent day keeps saying that."""
    return contract is not None and state == "reserved" and unit_id not in contract


def deadline_sentences(policy, calendar, now, *, limit=2):
    """The next booking deadline(s) in words, from the booking rules (Europe/Paris, DST-aware):

    - monthly: « Réservations pour février possibles jusqu'au 20 janvier à 23 h 59 » (the first month that
      can still change);
    - windows: « Vacances d'hiver : réservations du 5 au 25 janvier » for each window not yet closed
      (up to ``limit``), « … jusqu'au 25 janvier à 23 h 59 » when it is open now;
    - notice: « Pour mercredi 9 décembre : réservations et annulations possibles jusqu'au 7 décembre à
      12 h 00 » (the next opening day that can still change).

    An empty list when nothing can be booked any more this season.
    """
    year = now.astimezone(PARIS).year
    if policy.rule == WINDOW:
        out = []
        for w in policy.windows:
            closes = paris_midnight(w.closes_on + datetime.timedelta(days=1))
            if now >= closes or w.period_end < calendar.season_start or w.period_start > calendar.season_end:
                continue
            name = w.name or f"Période {_span_text(w.period_start, w.period_end, year)}"
            opens = paris_midnight(w.opens_on) if w.opens_on else None
            if opens is None or now >= opens:
                last = closes - datetime.timedelta(minutes=1)
                out.append(f"{name} : réservations possibles jusqu'au "
                           f"{fr_day_month(last.astimezone(PARIS).date(), year_of=year)} à {fr_time(last)}")
            else:
                out.append(f"{name} : réservations {_span_text(w.opens_on, w.closes_on, year)}")
            if len(out) >= limit:
                break
        return out
    day = first_changeable_day(policy, calendar, now)
    if day is None:
        return []
    if policy.rule == MONTHLY:
        last = booking_closes_at(day, policy) - datetime.timedelta(minutes=1)
        month = MONTHS_FR[day.month - 1] + ("" if day.year == year else f" {day.year}")
        return [f"Réservations pour {month} possibles jusqu'au "
                f"{fr_day_month(last.astimezone(PARIS).date(), year_of=year)} à {fr_time(last)}"]
    closes = cancellation_deadline(day, policy)
    return [f"Pour le {WEEKDAYS_FR[day.weekday()]} {fr_day_month(day, year_of=year)} : réservations et "
            f"annulations possibles jusqu'au {fr_day_month(closes.date(), year_of=year)} à {fr_time(closes)}"]


# --------------------------------------------------------------------------- units
def unit_conflicts(unit_ids, incompatible):
    """Pairs (a, b), a < b, of units booked the same day that exclude each other.

    ``incompatible`` maps a unit id to the set of unit ids it excludes.
    """
    ids = set(unit_ids)
    pairs = set()
    for a in ids:
        for b in incompatible.get(a, ()):
            if b in ids and a != b:
                pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)


def missing_requirements(unit_ids, required):
    """Units of ``unit_ids`` needing one of their required units that is not booked the same day."""
    ids = set(unit_ids)
    return sorted(u for u in ids if required.get(u) and not (set(required[u]) & ids))


def _either(names):
    """« « Matin » », « « Matin » ou « Après-midi » », « « Journée », « Matin » ou « Après-midi » »."""
    quoted = [f"« {n} »" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " ou " + quoted[-1]


def unit_rule_problems(unit_ids, incompatible, required, names):
    """The same-day unit rules broken by ``unit_ids`` (one child, one day), in French: the one check the
    commit and the calendar's live message share. ``names``: {unit_id: name}."""
    problems = [f"« {names[a]} » et « {names[b]} » ne peuvent pas être réservés le même jour."
                for a, b in unit_conflicts(unit_ids, incompatible)]
    for u in missing_requirements(unit_ids, required):
        problems.append(f"« {names[u]} » nécessite aussi {_either([names[r] for r in sorted(required[u])])} "
                        f"ce jour-là.")
    return problems


def unit_rule_statements(unit_ids, incompatible, required, names):
    """The rules between the units of an activity, said before a box is ticked: « « Journée » ne se réserve
    pas avec « Matin » ou « Après-midi » », « « Repas » se réserve avec « Journée », « Matin » ou
    « Après-midi » ». ``unit_ids`` in display order; ``names``: {unit_id: name}."""
    order = {u: i for i, u in enumerate(unit_ids)}
    pairs = {tuple(sorted((a, b), key=order.get)) for a in unit_ids for b in incompatible.get(a, ())
             if b in order and b != a}
    out = []
    for u in unit_ids:
        excluded = sorted((b for a, b in pairs if a == u), key=order.get)
        if excluded:
            out.append(f"« {names[u]} » ne se réserve pas avec {_either([names[v] for v in excluded])}.")
    for u in unit_ids:
        needed = sorted((r for r in required.get(u, ()) if r in order), key=order.get)
        if needed:
            out.append(f"« {names[u]} » se réserve avec {_either([names[r] for r in needed])}.")
    return out


# --------------------------------------------------------------------------- eligibility
MATERNELLE = ("TPS", "PS", "MS", "GS")
ELEMENTAIRE = ("CP", "CE1", "CE2", "CM1", "CM2")


def age_on(birth_date, day):
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def group_eligibility(*, school_stage, min_age, max_age, birth_date, school_level, on):
    """Is a child eligible for a group? Returns a Decision with a French reason when not."""
    if school_stage == "maternelle" and school_level not in MATERNELLE:
        return Decision(False, "réservé aux enfants scolarisés en maternelle")
    if school_stage == "elementaire" and school_level not in ELEMENTAIRE:
        return Decision(False, "réservé aux enfants scolarisés en élémentaire")
    age = age_on(birth_date, on)
    if min_age is not None and age < min_age:
        return Decision(False, f"à partir de {min_age} ans")
    if max_age is not None and age > max_age:
        return Decision(False, f"jusqu'à {max_age} ans")
    return Decision(True)


# --------------------------------------------------------------------------- opening calendar
@lru_cache(maxsize=32)
def public_holidays(year):
    """French public holidays of ``year`` (metropolitan), {date: name}."""
    return dict(_holidays.France(years=year, language="fr"))


@dataclass(frozen=True)
class Opening:
    start: datetime.date
    end: datetime.date
    weekdays: frozenset
    skip_school_holidays: bool = True


OPEN, CLOSED, PUBLIC_HOLIDAY, SCHOOL_HOLIDAY, CLOSURE = "open", "closed", "public_holiday", "school_holiday", "closure"


@dataclass
class OpeningCalendar:
    """An activity's opening calendar from plain data."""

    season_start: datetime.date
    season_end: datetime.date
    openings: list = field(default_factory=list)
    school_holidays: list = field(default_factory=list)  # [(start, end)]
    closures: dict = field(default_factory=dict)  # {date: reason}

    def is_school_holiday(self, day):
        return any(s <= day <= e for s, e in self.school_holidays)

    def status(self, day):
        """(status, label) for ``day``: open, closed, public_holiday, school_holiday or closure."""
        if not (self.season_start <= day <= self.season_end):
            return CLOSED, "Fermé"
        ph = public_holidays(day.year).get(day)
        if ph:
            return PUBLIC_HOLIDAY, f"Férié ({ph})"
        if day in self.closures:
            return CLOSURE, f"Fermé ({self.closures[day]})" if self.closures[day] else "Fermé"
        holiday = self.is_school_holiday(day)
        for o in self.openings:
            if o.start <= day <= o.end and day.weekday() in o.weekdays:
                if holiday and o.skip_school_holidays:
                    continue
                return OPEN, "Ouvert"
        if holiday:
            return SCHOOL_HOLIDAY, "Vacances"
        return CLOSED, "Fermé"

    def is_open(self, day):
        return self.status(day)[0] == OPEN

    def open_days(self, start, end):
        start, end = max(start, self.season_start), min(end, self.season_end)
        days = []
        day = start
        while day <= end:
            if self.is_open(day):
                days.append(day)
            day += datetime.timedelta(days=1)
        return days


def pattern_dates(calendar, start, end, pattern):
    """Expand a typical week over [start, end]: ``pattern`` maps weekday (0=Monday) to a set of unit ids.

    Returns sorted (date, unit_id) pairs on opening days only (public holidays, closures and, where the
    opening says so, school holidays skipped).
    """
    pairs = []
    weekdays = {wd for wd, units in pattern.items() if units}
    day = start
    while day <= end:
        if day.weekday() in weekdays and calendar.is_open(day):  # only the pattern's weekdays are looked up
            for unit_id in sorted(pattern[day.weekday()]):
                pairs.append((day, unit_id))
        day += datetime.timedelta(days=1)
    return pairs


def mass_selection_pattern(weekdays, unit_ids):
    """"Sélection en masse": every chosen weekday with every chosen unit."""
    return {wd: set(unit_ids) for wd in weekdays}


def month_bounds(year, month):
    first = datetime.date(year, month, 1)
    return first, first.replace(day=_calendar.monthrange(year, month)[1])


def month_weeks(year, month):
    """The month as weeks of 7 dates (Monday first), padded with the neighbouring months' days."""
    return _calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)


def month_label(year, month):
    return f"{MONTHS_FR[month - 1]} {year}"


def has_request_windows(policy):
    """Does one of the policy's windows open with a request phase?"""
    return policy.rule == WINDOW and any(w.mode == REQUESTS for w in policy.windows)


# --------------------------------------------------------------------------- yearly set-up
SCHOOL_LEVEL_NEXT = {"TPS": "PS", "PS": "MS", "MS": "GS", "GS": "CP", "CP": "CE1", "CE1": "CE2", "CE2": "CM1",
                     "CM1": "CM2", "CM2": "COL"}
# Moves that change school: from the école maternelle to the école élémentaire, and out of primary school.
SCHOOL_CHANGES = {"CP": "entre au CP (école élémentaire)", "COL": "quitte le CM2 (entrée au collège)"}


def school_year_of(day):
    """The first calendar year of the school year a move-up or an import for ``day`` is about: from January
    to August, the school year starting next September; from September, the one that has just started."""
    return day.year


def school_year_label(year):
    return f"{year}/{year + 1}"


def next_school_level(level):
    """(new level, why the child changes school or "") of a child moving up a class; (level, "") when the
    level does not move (not at school yet, already at collège)."""
    new = SCHOOL_LEVEL_NEXT.get(level)
    if new is None:
        return level, ""
    return new, SCHOOL_CHANGES.get(new, "")


def shift_year(day):
    """``day`` one calendar year later (29 February becomes 28 February); None stays None."""
    if day is None:
        return None
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def shift_year_same_weekday(day):
    """``day`` about one year later on the same weekday: 52 weeks on (a Wednesday stays a Wednesday, a
    holiday week starting on Monday starts on Monday), the nearest such day to the calendar shift."""
    if day is None:
        return None
    return day + datetime.timedelta(weeks=52)


def shift_years_in_text(text, years):
    """« 2025/2026 - CL Mercredis » → « 2026/2027 - CL Mercredis »: each year of ``years`` written in
    ``text`` moves on by one (each once, so 2025/2026 does not become 2027/2027)."""
    wanted = {str(y) for y in years}
    return re.sub(r"(?<!\d)(\d{4})(?!\d)", lambda m: str(int(m[1]) + 1) if m[1] in wanted else m[1], text)
