"""French text helpers for templates: plurals (0 and 1 are singular in French) and amounts with a comma."""
from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


def plural_s(count, suffix="s"):
    """« s » after a count above one: « 1 message non lu », « 2 messages non lus », « 0 message »."""
    try:
        return suffix if abs(int(count)) > 1 else ""
    except (TypeError, ValueError):
        return ""


@register.filter
def fr_plural(count, suffix="s"):
    """``{{ n }} message{{ n|fr_plural }} non lu{{ n|fr_plural }}`` (Django's ``pluralize`` makes 0 plural)."""
    return plural_s(count, suffix)


def euros(amount):
    """« 1 234,50 € » (a narrow no-break space between thousands), « — » without an amount."""
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    text = f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")
    return f"{text} €"


@register.filter
def fr_euros(amount):
    return euros(amount)
