"""Pure functions of the menus: which week to show, which dishes to point out to a family."""
import calendar
import datetime

from families.allergens import NAMES, parse


def week_start(day):
    """The Monday of ``day``'s week."""
    return day - datetime.timedelta(days=day.weekday())


def default_week(today):
    """The week a parent wants to see: this one, or the next one from Saturday on."""
    monday = week_start(today)
    return monday + datetime.timedelta(days=7) if today.weekday() >= 5 else monday


def parse_week(value):
    """The Monday of the week of an ISO date (« 2026-12-09 »), or None if it is not a date."""
    try:
        return week_start(datetime.date.fromisoformat(value))
    except (TypeError, ValueError, OverflowError):
        return None


def month_bounds(year, month):
    """(first day, last day) of a month, or None if the month does not exist."""
    try:
        return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])
    except (ValueError, OverflowError):
        return None


def dish_alerts(dish_allergens, children):
    """For one dish, the children it concerns: [(first name, [allergen names])], given ``children`` as
    [(first name, declared allergen codes)]. A child appears when the dish contains one of their
    declared allergens."""
    contained = set(parse(dish_allergens))
    alerts = []
    for first_name, declared in children:
        common = [code for code in parse(declared) if code in contained]
        if common:
            alerts.append((first_name, [NAMES[code].lower() for code in common]))
    return alerts
