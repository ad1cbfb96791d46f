import datetime
from decimal import Decimal as D

import pytest

from billing.pricing import (
    TariffRule, bracket_price, money, rule_for_day, rule_price, unit_price, unit_prices, unit_prices_by_day,
)

from .factories import activity_make, regie_make, tariff_flat, tariff_quotient

BRACKETS = [(D("500"), D("8.00")), (D("1000"), D("12.50")), (None, D("15.00"))]


@pytest.mark.parametrize(
    "quotient, expected",
    [
        (D("0"), "8.00"), (D("499.99"), "8.00"), (D("500"), "8.00"), (D("500.01"), "12.50"),
        (D("1000"), "12.50"), (D("1000.01"), "15.00"), (D("99999"), "15.00"),
    ],
)
def test_bracket_edges_are_inclusive_upper_bounds(quotient, expected):
    assert bracket_price(BRACKETS, quotient) == D(expected)


def test_no_valid_quotient_gets_the_highest_bracket():
    assert bracket_price(BRACKETS, None) == D("15.00")
    # without an open bracket, the highest bounded bracket applies to quotients above every bound
    closed = [(D("500"), D("8.00")), (D("1000"), D("12.50"))]
    assert bracket_price(closed, None) == D("12.50")
    assert bracket_price(closed, D("5000")) == D("12.50")
    assert bracket_price(list(reversed(BRACKETS)), D("200")) == D("8.00")  # order of input does not matter


def test_money_rounds_half_up_to_the_cent():
    assert money(D("2.345")) == D("2.35")
    assert money(D("2.344")) == D("2.34")
    assert money(D("0.005")) == D("0.01")
    assert money("1.125") == D("1.13")  # a banker's rounding would give 1.12
    assert bracket_price([(None, D("3.855"))], None) == D("3.86")


def test_rule_for_day_picks_the_dated_tariff():
    old = TariffRule(unit_id=1, label="2025", valid_from=datetime.date(2025, 9, 1), valid_until=datetime.date(2025, 12, 31), flat_price=D("4"))
    new = TariffRule(unit_id=1, label="2026", valid_from=datetime.date(2026, 1, 1), flat_price=D("4.20"))
    assert rule_for_day([old, new], datetime.date(2025, 12, 31)) is old
    assert rule_for_day([old, new], datetime.date(2026, 1, 1)) is new
    assert rule_for_day([old, new], datetime.date(2025, 8, 31)) is None
    assert rule_price(None, D("100")) == D("0.00")


@pytest.mark.django_db
def test_unit_prices_use_the_family_quotient_and_its_validity(parent, django_assert_num_queries):
    _, family = parent
    regie, structure = regie_make()
    _, _, (day, meal) = activity_make(structure=structure)
    _, _, (extra,) = activity_make(structure=structure, name="Autre", units=("Sans tarif",))
    tariff_quotient(day, [(500, "8.00"), (1000, "12.50"), (None, "15.00")])
    tariff_flat(meal, "3.85")
    family.quotient, family.quotient_valid_from, family.quotient_valid_until = D("850"), datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)
    family.save()
    with django_assert_num_queries(2):  # tariffs, brackets — whatever the number of units
        prices = unit_prices(family=family, units=[day, meal, extra], day=datetime.date(2026, 3, 4))
    assert prices == {day.pk: D("12.50"), meal.pk: D("3.85"), extra.pk: D("0.00")}
    # quotient expired → highest bracket; missing → highest bracket
    assert unit_price(family=family, unit=day, day=datetime.date(2026, 7, 1)) == D("15.00")
    family.quotient = None
    assert unit_price(family=family, unit=day.pk, day=datetime.date(2026, 3, 4)) == D("15.00")
    # before any tariff
    assert unit_price(family=family, unit=day, day=datetime.date(2025, 8, 1)) == D("0.00")


@pytest.mark.django_db
def test_unit_prices_query_count_does_not_grow_with_units(parent, django_assert_num_queries):
    _, family = parent
    _, structure = regie_make()
    _, _, units = activity_make(structure=structure, units=[f"U{i}" for i in range(30)])
    for unit in units:
        tariff_quotient(unit, [(700, "5"), (None, "9")])
    with django_assert_num_queries(2):
        prices = unit_prices(family=family, units=units, day=datetime.date(2026, 3, 4))
    assert set(prices.values()) == {D("9.00")}  # FamilyFactory quotient 850 > 700


@pytest.mark.django_db
def test_unit_prices_by_day_follow_dated_tariffs(parent, django_assert_max_num_queries):
    _, family = parent
    _, structure = regie_make()
    _, _, (meal,) = activity_make(structure=structure, units=("Repas",))
    tariff_flat(meal, "3.85", valid_until=datetime.date(2025, 12, 31))
    tariff_flat(meal, "3.95", valid_from=datetime.date(2026, 1, 1))
    days = [datetime.date(2025, 12, 31), datetime.date(2026, 1, 1)]
    with django_assert_max_num_queries(2):
        prices = unit_prices_by_day(family=family, units=[meal], days=days)
    assert prices == {(meal.pk, days[0]): D("3.85"), (meal.pk, days[1]): D("3.95")}
