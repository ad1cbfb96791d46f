"""The PSU arithmetic, pure (no ORM): the values of the tables come in as arguments.

Sources:
- Cnaf, circulaire 2019-005 du 5 juin 2019 (barème national des participations familiales):
  hourly rate = monthly resources × effort rate, resources clamped between the floor and the ceiling
  the Cnaf publishes; the effort rate depends on the number of dependent children, and « la présence
  dans la famille d'un enfant en situation de handicap (bénéficiaire de l'AEEH) permet d'appliquer le
  taux d'effort immédiatement inférieur » — the child counts as one more (once per such child).
- Cnaf, circulaire 2014-009 du 26 mars 2014 (PSU), mensualisation: monthly amount =
  hours booked a week × weeks of attendance a year × hourly rate ÷ number of months of the contract;
  hours beyond the contract are billed on top, by the half-hour (« toute demi-heure commencée est
  due »); the only deductions are closure of the crèche, hospitalisation of the child, eviction by the
  crèche's doctor, and illness beyond a waiting period of three calendar days with a certificate.
"""
import datetime
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HOURS = Decimal("0.01")
ILLNESS_WAITING_DAYS = 3  # « délai de carence de trois jours calendaires » (circulaire 2014-009)


def money(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def hours(value):
    return Decimal(value).quantize(HOURS, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class RateRow:
    children_min: int
    children_max: int | None
    rate_percent: Decimal


def counted_children(dependent_children, disabled_children=0):
    """Children counted for the effort rate: a child with a disability (AEEH) counts as one more."""
    return max(1, int(dependent_children)) + max(0, int(disabled_children))


def effort_rate(rows, children):
    """The rate (in %) of the row covering ``children`` (rows of one date, ``RateRow``)."""
    for row in sorted(rows, key=lambda r: r.children_min):
        if children >= row.children_min and (row.children_max is None or children <= row.children_max):
            return row.rate_percent
    raise ValueError(f"No effort rate for {children} children")


def clamp_resources(resources, floor, ceiling):
    return min(max(Decimal(resources), Decimal(floor)), Decimal(ceiling))


def hourly_rate(*, resources, floor, ceiling, rate_percent):
    """Hourly participation = clamp(resources, floor, ceiling) × rate %, to the cent."""
    return money(clamp_resources(resources, floor, ceiling) * Decimal(rate_percent) / 100)


def monthly_hours(*, weekly_hours, weeks_per_year, months):
    return hours(Decimal(weekly_hours) * Decimal(weeks_per_year) / Decimal(months))


def monthly_amount(*, weekly_hours, weeks_per_year, months, rate):
    """Mensualisation: hours a week × weeks a year × hourly rate ÷ months, to the cent."""
    return money(Decimal(weekly_hours) * Decimal(weeks_per_year) * Decimal(rate) / Decimal(months))


def half_hour_price(rate):
    """The price of one extra half-hour: half the hourly rate, to the cent."""
    return money(Decimal(rate) / 2)


def _minutes(t):
    return t.hour * 60 + t.minute


def parse_time(text):
    h, m = str(text).split(":")[:2]
    return datetime.time(int(h), int(m))


def day_hours(slot):
    """Hours of a ``[start, end]`` slot ("HH:MM" strings)."""
    if not slot:
        return Decimal("0")
    start, end = parse_time(slot[0]), parse_time(slot[1])
    return Decimal(max(0, _minutes(end) - _minutes(start))) / 60


def weekly_hours_of(schedule):
    """Hours a week of a schedule {"0": ["08:30", "17:30"], …} (0 = Monday)."""
    return hours(sum((day_hours(slot) for slot in schedule.values()), Decimal("0")))


def extra_half_hours(*, slot, arrival, departure):
    """Half-hours beyond the contract on one day: before the contracted arrival and after the contracted
    departure, summed, each started half-hour counted. A day outside the contract: all of it is extra."""
    if departure is None or _minutes(departure) <= _minutes(arrival):
        return 0
    if not slot:
        extra = _minutes(departure) - _minutes(arrival)
    else:
        start, end = _minutes(parse_time(slot[0])), _minutes(parse_time(slot[1]))
        extra = max(0, start - _minutes(arrival)) + max(0, _minutes(departure) - end)
    return math.ceil(extra / 30)


def attended_hours(arrival, departure):
    if departure is None:
        return Decimal("0")
    return Decimal(max(0, _minutes(departure) - _minutes(arrival))) / 60


def deductible_days(*, kind, start, end, certificate):
    """The calendar days of an absence that may be deducted. Illness needs a certificate and the first
    three calendar days (waiting period) stay billed; closure, hospitalisation and eviction count from
    the first day."""
    if kind == "illness":
        if not certificate:
            return []
        start = start + datetime.timedelta(days=ILLNESS_WAITING_DAYS)
    days, day = [], start
    while day <= end:
        days.append(day)
        day += datetime.timedelta(days=1)
    return days


def score(criteria):
    """Score of a request: the sum of the published weights of its criteria, line by line.
    ``criteria`` is [(label, weight)]; returns (total, [(label, weight)])."""
    lines = [(label, int(weight)) for label, weight in criteria]
    return sum(w for _, w in lines), lines


@dataclass(frozen=True)
class MonthBill:
    contract_hours: Decimal
    extra_half_hours: int
    deducted_hours: Decimal
    billed_hours: Decimal
    attended_hours: Decimal
    smoothed_amount: Decimal
    extra_amount: Decimal
    deducted_amount: Decimal
    total: Decimal
    deducted_days: tuple  # ((date, hours, reason label), …)


def month_bill(*, schedule, monthly_hours_value, monthly_amount_value, rate, days_in_contract, attendances,
               deductions):
    """The month of a contract.

    ``days_in_contract``: the month's days the contract covers (opening days of the crèche);
    ``attendances``: {date: (arrival, departure)}; ``deductions``: {date: reason label} (already
    filtered by ``deductible_days``). Extra half-hours are billed at half the hourly rate each;
    each deducted contract day is worth its contract hours × rate.
    """
    extra = 0
    attended = Decimal("0")
    for day, (arrival, departure) in sorted(attendances.items()):
        attended += attended_hours(arrival, departure)
        slot = schedule.get(str(day.weekday())) if day in days_in_contract else None
        extra += extra_half_hours(slot=slot, arrival=arrival, departure=departure)
    deducted = []
    for day in sorted(deductions):
        slot = schedule.get(str(day.weekday()))
        if day in days_in_contract and slot:
            deducted.append((day, hours(day_hours(slot)), deductions[day]))
    deducted_hours = hours(sum((h for _, h, _ in deducted), Decimal("0")))
    extra_amount = money(extra * half_hour_price(rate))
    deducted_amount = money(deducted_hours * Decimal(rate))
    total = max(Decimal("0.00"), money(Decimal(monthly_amount_value) + extra_amount - deducted_amount))
    return MonthBill(
        contract_hours=hours(monthly_hours_value), extra_half_hours=extra, deducted_hours=deducted_hours,
        billed_hours=hours(Decimal(monthly_hours_value) + Decimal(extra) / 2 - deducted_hours),
        attended_hours=hours(attended), smoothed_amount=money(monthly_amount_value), extra_amount=extra_amount,
        deducted_amount=deducted_amount, total=total, deducted_days=tuple(deducted),
    )
