"""Tariffs use the quotient in force on the booked day, across a change of quotient within the month."""
import datetime
from decimal import Decimal as D

import pytest

from billing.pricing import unit_prices_by_day
from billing.services.invoicing import invoice_issue_period
from families.models import Family, QuotientRecord
from families.services_quotient import quotient_record_create

d = datetime.date


@pytest.fixture
def quotient_change(march, staff_user):
    """QF 400 from January, then 1200 (fetched from the CAF) from 15 March 2026."""
    family = march.family
    quotient_record_create(family=family, value=D("400"), source=QuotientRecord.Source.STAFF, valid_from=d(2026, 1, 1),
                           by=staff_user, validate=True)
    quotient_record_create(family=family, value=D("1200"), source=QuotientRecord.Source.CAF, valid_from=d(2026, 3, 15),
                           by=staff_user, validate=True, now=datetime.datetime(2026, 3, 15, 9, tzinfo=datetime.UTC))
    return Family.objects.get(pk=family.pk)


@pytest.mark.django_db
def test_prices_by_day_follow_the_quotient_history(march, quotient_change, django_assert_max_num_queries):
    days = [d(2026, 3, 4), d(2026, 3, 11), d(2026, 3, 18), d(2026, 3, 25)]
    with django_assert_max_num_queries(3):  # tariffs, brackets, the history once
        prices = unit_prices_by_day(family=quotient_change, units=[march.day_unit], days=days)
    assert [prices[(march.day_unit.pk, day)] for day in days] == [D("8.00"), D("8.00"), D("15.00"), D("15.00")]


@pytest.mark.django_db
def test_the_invoice_prices_each_booked_day_with_its_quotient(march, quotient_change):
    [invoice] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end,
                                     issued_on=d(2026, 4, 2))
    day_lines = sorted((line.date, line.unit_price) for line in invoice.lines.all() if line.unit_id == march.day_unit.pk)
    # 4 March reserved and 11 March present at QF 400 (8,00); 18 March absent-billed at QF 1200 (15,00)
    assert day_lines == [(d(2026, 3, 4), D("8.00")), (d(2026, 3, 11), D("8.00")), (d(2026, 3, 18), D("15.00"))]
