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


ELIDING = "AEIOUYHÂÀÉÈÊËÎÏÔÛÙÜŒaeiouyhâàéèêëîïôûùüœ"


def de(name):
    """« de » before a name, elided before a vowel or a mute h: « d'Aurélie », « d'Hugo », « de Paul »."""
    name = str(name or "")
    return f"d'{name}" if name[:1] in ELIDING and name[:1] != "" else f"de {name}"


@register.filter(name="de")
def de_filter(name):
    return de(name)


@register.filter
def fr_size(size):
    """A file size in French units: « 12 Ko », « 1,4 Mo » (Django's filesizeformat says « Kio »)."""
    try:
        size = int(size)
    except (TypeError, ValueError):
        return ""
    if size < 1024:
        return f"{size} octet{plural_s(size)}"
    for unit in ("Ko", "Mo", "Go"):
        size /= 1024
        if size < 1024 or unit == "Go":
            text = f"{size:.0f}" if size >= 10 else f"{size:.1f}".replace(".", ",")
            return f"{text} {unit}"


def euros(amount):
    """« 1234,50 € », « — » without an amount."""
    if amount is None or amount == "":
        return "—"
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return str(amount)
    text = f"{value:.2f}".replace(".", ",")
    return f"{text} €"


@register.filter
def fr_euros(amount):
    return euros(amount)
