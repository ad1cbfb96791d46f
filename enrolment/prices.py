"""Indicative prices for the booking pages, asked through an interface the billing app implements.

Enrolment sits below billing: it never imports it. Billing registers a ``PriceProvider`` from its
``AppConfig.ready()`` (``register_price_provider``); without one (a portal without its billing app) there
are no prices, and the basket recap shows « — ».

Tariffs are configuration staff edit: those of the cached catalogue's units are kept in each process with
the catalogue (``portal.caching``), rebuilt when a row of the provider's ``models`` changes, so the recap of
a basket costs no query for its prices.
"""
from decimal import Decimal
from typing import Mapping, Protocol

from portal import caching

from . import loaders

TARIFFS_CACHE_NAME = "enrolment-tariffs"


class PriceProvider(Protocol):
    """What a billing app gives enrolment. ``unit_tariffs`` are opaque to enrolment: it only keeps them and
    hands them back to ``price``."""

    #: Models holding the tariffs: a save or delete of one of their rows drops the cached tariffs.
    models: tuple

    def tariffs(self, *, unit_ids, start, end) -> Mapping[int, object]:
        """{unit_id: unit_tariffs} of the tariffs valid at some point of [start, end] (a few queries in all,
        whatever the number of units; the same for every family)."""

    def price(self, unit_tariffs, *, day, quotient) -> Decimal:
        """The price of one booking on ``day`` for a family of ``quotient`` (None: unknown); 0.00 without
        a tariff that day."""


class NoPrices:
    """The default: no billing app, no prices."""

    models = ()

    def tariffs(self, *, unit_ids, start, end):
        return {}

    def price(self, unit_tariffs, *, day, quotient):
        return None


_provider = NoPrices()


def register_price_provider(provider):
    """Called by the billing app's ``AppConfig.ready()``."""
    global _provider
    _provider = provider
    caching.watch(*provider.models)


def price_provider():
    return _provider


def has_prices():
    return not isinstance(_provider, NoPrices)


def tariffs():
    """The provider's tariffs of every unit of the cached catalogue, over its seasons: no query when warm."""
    provider = _provider

    def build():
        cat = loaders.catalogue()
        if not cat.activities:
            return {}
        return provider.tariffs(unit_ids=list(cat.units), start=min(a.season_start for a in cat.activities.values()),
                                end=max(a.season_end for a in cat.activities.values()))

    return caching.cached_config(TARIFFS_CACHE_NAME, build, models=provider.models)


def unit_prices(*, family, unit_ids, days):
    """{(unit_id, day): Decimal} of one booking of each unit on each day for ``family``, or None without a
    price provider. No query for the units of the cached catalogue, the provider's lookup for others."""
    if not has_prices():
        return None
    cached = tariffs()  # (also when the basket is empty: the first page warms them)
    if not unit_ids or not days:
        return {}
    cat = loaders.catalogue()
    if all(u in cat.units for u in unit_ids):
        by_unit = cached
    else:
        by_unit = _provider.tariffs(unit_ids=unit_ids, start=min(days), end=max(days))
    prices = {}
    for day in days:
        quotient = family.quotient_on(day)
        for u in unit_ids:
            prices[(u, day)] = _provider.price(by_unit.get(u, ()), day=day, quotient=quotient)
    return prices
