"""Integration: with a real broker, a real Celery worker renders and stores the invoice PDFs that issuing
and payments queue (the other PDF tests run the task in-process)."""
import datetime

import pytest

from billing.models import InvoicePdf
from billing.services.invoicing import invoice_issue_period
from billing.services.payments import payment_record
from portal.tests.celery_worker import broker, celery, done, wait_until, worker  # noqa: F401 - fixtures

from .test_invoice_pdfs import pdf_text

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.xdist_group("celery"),
    pytest.mark.django_db(transaction=True),
]


def renders(finished):
    return [(state, result) for name, state, result in finished if name == "billing.tasks.invoice_pdfs_render"]


def test_the_worker_stores_the_pdf_after_issue_and_again_after_a_payment(celery, done, march):
    [invoice] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end,
                                     issued_on=datetime.date(2026, 4, 2))
    wait_until(lambda: len(renders(done)) >= 1, "the PDF task queued by the issue")
    assert renders(done) == [("SUCCESS", {"rendered": 1, "fresh": 0, "failed": 0, "missing": 0})]
    stored = InvoicePdf.objects.get(invoice=invoice)
    issued_fingerprint = stored.fingerprint
    with stored.file.open("rb") as f:
        assert f"Facture n° {invoice.number}" in pdf_text(f.read())

    payment_record(family=invoice.family, regie=invoice.regie, mode="cheque", amount="20.00",
                   received_on=datetime.date(2026, 4, 10), invoices=[invoice])
    wait_until(lambda: len(renders(done)) >= 2, "the PDF task queued by the payment")
    assert renders(done)[1] == ("SUCCESS", {"rendered": 1, "fresh": 0, "failed": 0, "missing": 0})
    stored = InvoicePdf.objects.get(invoice=invoice)
    assert stored.fingerprint != issued_fingerprint
    with stored.file.open("rb") as f:
        text = pdf_text(f.read())
    assert "20,00 €" in text and "25,20 €" in text  # « Déjà réglé », « Reste à payer »
