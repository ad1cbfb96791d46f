"""Pricing: pure tariff rules, and the batched tariff lookup every app uses for a price.

``unit_prices(family=, units=, day=)`` is what the invoicing calls: one query for the tariffs and one
for their brackets, whatever the number of units. Enrolment's booking pages ask through
``enrolment.prices``, whose provider (``TariffPrices``) ``BillingConfig.ready()`` registers.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from .models import Tariff, TariffBracket

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value):
    """A Decimal in euros rounded half-up to the cent (never a float on the way)."""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    return value.quantize(CENT, rounding=ROUND_HALF_UP)



def euros(value):
    """An amount as ``floatformat:2`` prints it in French (« 1234,50 »), for rows computed in Python."""
    return f"{money(value):.2f}".replace(".", ",")


@dataclass(frozen=True)
class TariffRule:
    """A tariff reduced to what pricing needs: flat price, or brackets as (upper bound or None, price)."""

    unit_id: int
    label: str
    valid_from: object
    valid_until: object = None
    flat_price: Decimal | None = None
    brackets: tuple = field(default_factory=tuple)

    def applies_on(self, day):
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


def bracket_price(brackets, quotient):
    """The price of the bracket holding ``quotient``.

    ``brackets``: iterable of (quotient_up_to or None, price). A bracket covers quotients up to its
    bound, inclusive; the open bracket (None) covers everything above. No valid quotient
    (None) → the highest bracket. A quotient above every bound without an open bracket → the highest.
    """
    ordered = sorted(brackets, key=lambda b: (b[0] is None, b[0] if b[0] is not None else 0))
    if not ordered:
        return ZERO
    if quotient is not None:
        for bound, price in ordered:
            if bound is None or quotient <= bound:
                return money(price)
    return money(ordered[-1][1])


def rule_price(rule, quotient):
    if rule is None:
        return ZERO
    if rule.brackets:
        return bracket_price(rule.brackets, quotient)
    return money(rule.flat_price if rule.flat_price is not None else ZERO)


def rule_for_day(rules, day):
    """The rule valid on ``day`` among one unit's rules (the most recent start wins), or None."""
    best = None
    for rule in rules:
        if rule.applies_on(day) and (best is None or rule.valid_from > best.valid_from):
            best = rule
    return best


def line_amount(quantity, unit_price):
    return money(Decimal(quantity) * unit_price)


# --- Database lookup (batched) -----------------------------------------------------------------


def tariff_rules(*, unit_ids, start, end):
    """{unit_id: [TariffRule]} for tariffs overlapping [start, end]: two queries in all."""
    unit_ids = list({int(u) for u in unit_ids})
    if not unit_ids:
        return {}
    tariffs = list(
        Tariff.objects.filter(unit_id__in=unit_ids, valid_from__lte=end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        .values("id", "unit_id", "label", "mode", "flat_price", "valid_from", "valid_until")
    )
    brackets = defaultdict(list)
    quotient_ids = [t["id"] for t in tariffs if t["mode"] == Tariff.Mode.QUOTIENT]
    if quotient_ids:
        for b in TariffBracket.objects.filter(tariff_id__in=quotient_ids).values("tariff_id", "quotient_up_to", "price"):
            brackets[b["tariff_id"]].append((b["quotient_up_to"], b["price"]))
    rules = defaultdict(list)
    for t in tariffs:
        is_quotient = t["mode"] == Tariff.Mode.QUOTIENT
        rules[t["unit_id"]].append(
            TariffRule(
                unit_id=t["unit_id"], label=t["label"], valid_from=t["valid_from"], valid_until=t["valid_until"],
                flat_price=None if is_quotient else t["flat_price"],
                brackets=tuple(brackets[t["id"]]) if is_quotient else (),
            )
        )
    return dict(rules)


def _unit_id(unit):
    return unit if isinstance(unit, int) else unit.pk


def unit_prices(*, family, units, day):
    """{unit_id: Decimal price} of one booking of each unit on ``day`` for ``family`` (0.00 without tariff)."""
    ids = [_unit_id(u) for u in units]
    rules = tariff_rules(unit_ids=ids, start=day, end=day)
    quotient = family.quotient_on(day) if family is not None else None
    return {uid: rule_price(rule_for_day(rules.get(uid, ()), day), quotient) for uid in ids}


def unit_price(*, family, unit, day):
    return unit_prices(family=family, units=[unit], day=day)[_unit_id(unit)]


def unit_prices_by_day(*, family, units, days):
    """{(unit_id, day): Decimal} for many units and days at once: still two queries."""
    ids = [_unit_id(u) for u in units]
    days = sorted(set(days))
    if not ids or not days:
        return {}
    rules = tariff_rules(unit_ids=ids, start=days[0], end=days[-1])
    prices = {}
    for day in days:
        quotient = family.quotient_on(day) if family is not None else None
        for uid in ids:
            prices[(uid, day)] = rule_price(rule_for_day(rules.get(uid, ()), day), quotient)
    return prices


class TariffPrices:
    """billing's ``enrolment.prices.PriceProvider``: a unit's tariffs are its ``TariffRule`` list."""

    models = (Tariff, TariffBracket)

    def tariffs(self, *, unit_ids, start, end):
        return tariff_rules(unit_ids=unit_ids, start=start, end=end)

    def price(self, unit_tariffs, *, day, quotient):
        return rule_price(rule_for_day(unit_tariffs, day), quotient)
