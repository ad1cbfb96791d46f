import datetime
import io
import random

import pytest

from billing import demo, selectors
from billing.models import DirectDebitMandate, Invoice, OnlineTransaction, Payment, Regie, Tariff
from enrolment import demo as enrolment_demo
from enrolment.models import Unit
from families import demo as families_demo
from families.models import Guardian

pytestmark = pytest.mark.django_db


def test_demo_populates_regies_tariffs_invoices_and_payments(time_machine):
    time_machine.move_to(datetime.datetime(2025, 12, 10, 9, 0, tzinfo=datetime.timezone.utc), tick=False)

    rng = random.Random(20250901)
    out = io.StringIO()
    families_demo.populate(stdout=out, rng=rng)
    enrolment_demo.populate(stdout=out, rng=rng)
    demo.populate(stdout=out, rng=rng)
    assert set(Regie.objects.values_list("name", flat=True)) == {"Régie garderie ALSH", "Régie restauration"}
    assert Tariff.objects.filter(mode="quotient").exists()
    # Every billable unit of the demo has its tariff (the demo's tariffs are keyed by the units' names).

    assert not Unit.objects.filter(billable=True, tariffs__isnull=True).values_list("name", flat=True)
    invoices = Invoice.objects.all()
    assert invoices.count() > 5
    assert {i.period_start for i in invoices} <= {datetime.date(2025, 9, 1), datetime.date(2025, 10, 1), datetime.date(2025, 11, 1)}
    assert OnlineTransaction.objects.filter(state="paid").exists()
    assert Payment.objects.filter(mode="cheque").exists() and Payment.objects.filter(mode="online").exists()
    assert invoices.filter(status="due").exists()
    assert DirectDebitMandate.objects.filter(status="active").count() == 1
    # The demo parent has at least three invoices of one régie to pay together (« Payer mes factures »).

    guardian = Guardian.objects.filter(family__is_demo=True, user__isnull=False).order_by("family__number", "rank").first()
    listed = selectors.invoices_page(family=guardian.family, user=guardian.user)["invoices"]
    payable = [invoice for invoice in listed if invoice.payable]
    assert max(sum(1 for i in payable if i.regie_id == regie.pk) for regie in Regie.objects.all()) >= 3
    assert OnlineTransaction.objects.filter(state="paid").count() == OnlineTransaction.objects.filter(items__isnull=False).distinct().count()
    # numbering is gapless per régie and year
    for regie in Regie.objects.all():
        numbers = sorted(invoices.filter(regie=regie).values_list("sequence_number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
    assert "Facturation :" in out.getvalue()
