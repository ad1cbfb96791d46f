"""Pure rules of the quotient familial history: which value is in force on a day. No ORM.

A period is ``(valid_from, valid_to or None, value, order)``; ``order`` (the record's id) breaks ties
between periods starting the same day: the later record wins.
"""
from typing import NamedTuple


class QuotientPeriod(NamedTuple):
    valid_from: object
    valid_to: object
    value: object
    order: int = 0


def covers(period, day):
    return period.valid_from <= day and (period.valid_to is None or day <= period.valid_to)


def _latest_covering(periods, day):
    best = None
    for period in periods:
        if covers(period, day) and (best is None or (period.valid_from, period.order) > (best.valid_from, best.order)):
            best = period
    return best


def quotient_in_force(periods, day):
    """The value of the latest-starting validated period covering ``day``, or None."""
    best = _latest_covering(periods, day)
    return best.value if best is not None else None


def current_span(periods, day):
    """(value, first day, last day or None) of the value in force on ``day`` and the days around ``day``
    it stays in force without a break (a later-starting period takes over on its own days);
    (None, None, None) when no value is in force."""
    best = _latest_covering(periods, day)
    if best is None:
        return None, None, None
    start, end = best.valid_from, best.valid_to
    for period in periods:
        if (period.valid_from, period.order) <= (best.valid_from, best.order):
            continue
        if period.valid_from > day:  # takes over later
            last = date_before(period.valid_from)
            end = last if end is None else min(end, last)
        else:  # took over earlier and ended before ``day``
            start = max(start, date_after(period.valid_to))
    return best.value, start, end


def date_before(day):
    return day.fromordinal(day.toordinal() - 1)


def date_after(day):
    return day.fromordinal(day.toordinal() + 1)
