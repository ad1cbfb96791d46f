"""Enrolment asks for prices through enrolment.prices; billing registers its tariffs (BillingConfig.ready)."""
import datetime
from decimal import Decimal

import pytest

from billing.models import Tariff
from billing.pricing import TariffPrices
from enrolment import prices
from families.tests.factories import parent_with_family

from .factories import wednesdays_activity

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 12, 10)


@pytest.fixture
def family_and_unit():
    _user, family = parent_with_family(children=1)
    _activity, _group, (unit,) = wednesdays_activity(capacity=10)
    return family, unit


def test_billing_registers_its_tariffs_as_the_price_provider():
    assert isinstance(prices.price_provider(), TariffPrices) and prices.has_prices()
    assert set(prices.price_provider().models) <= prices.caching._watched


def test_prices_come_from_the_registered_provider(family_and_unit):
    family, unit = family_and_unit
    Tariff.objects.create(unit=unit, label="JOURNÉE", mode="flat", flat_price=Decimal("8.50"),
                          valid_from=datetime.date(2025, 9, 1))
    assert prices.unit_prices(family=family, unit_ids=[unit.pk], days=[DAY]) == {(unit.pk, DAY): Decimal("8.50")}


def test_without_a_provider_there_are_no_prices(family_and_unit, monkeypatch):
    family, unit = family_and_unit
    monkeypatch.setattr(prices, "_provider", prices.NoPrices())
    assert not prices.has_prices()
    assert prices.unit_prices(family=family, unit_ids=[unit.pk], days=[DAY]) is None
