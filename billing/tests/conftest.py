import datetime

import pytest

from billing.services.invoicing import invoice_issue_period

from .factories import March


@pytest.fixture
def march(parent):
    return March(parent[1])


@pytest.fixture
def issued(march):
    [invoice] = invoice_issue_period(
        regie=march.regie, period_start=march.start, period_end=march.end, issued_on=datetime.date(2026, 4, 2)
    )
    return invoice
