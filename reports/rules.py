"""Pure rules of the reports: attended hours, age bands. No database, no clock."""
import datetime

UNDER_6, SIX_AND_OVER = "under6", "6plus"
AGE_BANDS = ((UNDER_6, "Moins de 6 ans"), (SIX_AND_OVER, "6 ans et plus"))


def _minutes(t):
    return t.hour * 60 + t.minute


def attended_interval(*, arrived_at, left_at, start_time, end_time):
    """The (start, end) minutes of the day a present child spent in a unit: the check-in times, and for a
    time not tapped the unit's planned one (an arrival tapped and no departure: until the unit's end).
    None when neither says anything (a unit without hours, such as a meal, and no tap)."""
    start = arrived_at or start_time
    end = left_at or end_time
    if start is None or end is None:
        return None
    start, end = _minutes(start), _minutes(end)
    if end <= start:
        return None
    return start, end


def attended_minutes(intervals):
    """Minutes covered by the union of ``intervals`` [(start, end)]: a child in « Journée » and « Repas »
    the same day is counted once for the hour both cover."""
    total, current_start, current_end = 0, None, None
    for start, end in sorted(i for i in intervals if i):
        if current_end is None or start > current_end:
            if current_end is not None:
                total += current_end - current_start
            current_start, current_end = start, end
        else:
            current_end = max(current_end, end)
    if current_end is not None:
        total += current_end - current_start
    return total


def age_on(birth_date, day):
    """Age in whole years on ``day`` (a child born on 29 February has its birthday on 1 March)."""
    years = day.year - birth_date.year
    try:
        birthday = birth_date.replace(year=day.year)
    except ValueError:
        birthday = datetime.date(day.year, 3, 1)
    return years - (day < birthday)


def age_band(birth_date, day):
    """The CAF's age band of a child on the day it attended: under 6, or 6 and over."""
    return UNDER_6 if age_on(birth_date, day) < 6 else SIX_AND_OVER


def hours_label(minutes):
    """« 12,50 » hours, as the CAF return and French spreadsheets write them."""
    return f"{minutes / 60:.2f}".replace(".", ",")


# Quotient brackets for the spread of families (the CAF's usual cut-offs; staff read them, not prices).
QUOTIENT_BRACKETS = ((0, 400), (400, 700), (700, 1000), (1000, 1500), (1500, None))


def quotient_bracket_label(low, high):
    return f"{low} € et plus" if high is None else f"{low} à {high - 1} €"


def quotient_bracket(quotient):
    """Index of the bracket of ``quotient`` in QUOTIENT_BRACKETS, or None when unknown."""
    if quotient is None:
        return None
    for i, (low, high) in enumerate(QUOTIENT_BRACKETS):
        if quotient >= low and (high is None or quotient < high):
            return i
    return None


def iso_week_start(day):
    return day - datetime.timedelta(days=day.weekday())
