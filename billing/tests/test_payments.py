import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone
from eopayment import payfip_ws

from billing.models import (
    FakeProviderOperation, Invoice, OnlineTransaction, Payment, PaymentAllocation, PaymentNotification,
)
from billing.providers import _FakeInfo, fake_operation_decide
from billing.services.invoicing import invoice_issue_period
from billing.services.payments import (
    online_payment_notify, online_payment_start, online_payments_reconcile, payment_record,
)
from billing.tasks import online_payments_reconcile as task
from portal.errors import PaymentError
from portal.models import AuditLog, OutboundEmail
from portal.tests.concurrency import run_in_threads

from .factories import March, invoice_make

pytestmark = pytest.mark.django_db


def _start(invoice, email="claire@example.org"):
    tx, url = online_payment_start(invoices=[invoice], email=email)
    return tx, url, FakeProviderOperation.objects.get(idop=tx.provider_transaction_id)


def test_manual_payment_partial_then_rest_is_audited(issued, staff_user):
    payment = payment_record(
        family=issued.family, regie=issued.regie, mode="cheque", amount="20.00", received_on=datetime.date(2026, 4, 10),
        invoices=[issued], reference="CHQ 0001234", by=staff_user,
    )
    issued.refresh_from_db()
    assert issued.paid_amount == D("20.00") and issued.remaining == D("25.20") and issued.status == Invoice.Status.DUE
    assert issued.status_label == "Partiellement payée"
    assert AuditLog.objects.get(action="billing.payment").new_values["allocations"] == {issued.number: "20.00"}
    # more than remains: the invoice takes what it needs, the rest stays as a credit
    payment_record(family=issued.family, regie=issued.regie, mode="cash", amount="30", received_on=datetime.date(2026, 4, 11), invoices=[issued], by=staff_user)
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.PAID and issued.paid_amount == D("45.20")
    assert list(PaymentAllocation.objects.order_by("pk").values_list("amount", flat=True)) == [D("20.00"), D("25.20")]
    assert payment.get_mode_display() == "Chèque"


def test_manual_payment_refuses_another_familys_invoice(issued, other_family, staff_user):
    with pytest.raises(PaymentError):
        payment_record(family=other_family[1], regie=issued.regie, mode="cheque", amount="10", received_on=datetime.date(2026, 4, 1), invoices=[issued], by=staff_user)
    assert not Payment.objects.exists()


def test_online_payment_valid_callback_pays_once(issued, client, django_capture_on_commit_callbacks):
    tx, url, op = _start(issued)
    assert url == reverse("billing:fake_provider", kwargs={"idop": op.idop})
    assert op.montant == 4520 and op.refdet == tx.reference and op.mel == "claire@example.org"
    fake_operation_decide(op=op, result="P")
    notify = reverse("billing:payment_notify", kwargs={"provider": "fake"})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(notify, data=f"idOp={op.idop}", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    tx.refresh_from_db()
    issued.refresh_from_db()
    assert tx.state == "paid" and issued.status == Invoice.Status.PAID and issued.remaining == D("0.00")
    payment = Payment.objects.get()
    assert payment.mode == "online" and payment.amount == D("45.20") and payment.online_transaction == tx
    assert OutboundEmail.objects.filter(template="payment_receipt", to="claire@example.org").count() == 1
    # the same notification again: nothing more, logged as a replay
    response = client.post(notify, data=f"idOp={op.idop}", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Payment.objects.count() == 1 and OutboundEmail.objects.filter(template="payment_receipt").count() == 1
    assert list(PaymentNotification.objects.order_by("pk").values_list("outcome", flat=True)) == ["accepted", "duplicate"]
    assert PaymentNotification.objects.first().raw == f"idOp={op.idop}"


@pytest.mark.parametrize("body", ["", "idOp=", "garbage", "idOp=%00%ff", "idOp=" + "a" * 200, "idOp=unknown123"])
def test_forged_or_garbled_callbacks_are_rejected_and_logged(issued, client, body, caplog):
    tx, _, op = _start(issued)
    fake_operation_decide(op=op, result="P")
    response = client.post(reverse("billing:payment_notify", kwargs={"provider": "fake"}), data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert PaymentNotification.objects.get().outcome == "rejected"
    assert "rejected" in caplog.text
    tx.refresh_from_db()
    assert tx.state == "pending" and not Payment.objects.exists()


def test_unknown_provider_and_get_are_refused(client):
    assert client.get(reverse("billing:payment_notify", kwargs={"provider": "fake"})).status_code == 405
    response = client.post(reverse("billing:payment_notify", kwargs={"provider": "tipi"}), data="idOp=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and PaymentNotification.objects.get().outcome == "rejected"


def test_wrong_amount_is_rejected(issued):
    tx, _, op = _start(issued)
    op.montant = 100  # the provider says 1.00 € was paid
    op.save()
    fake_operation_decide(op=op, result="P")
    note = online_payment_notify(provider="fake", body=f"idOp={op.idop}")
    assert note.outcome == "rejected" and "Montant" in note.reason
    tx.refresh_from_db()
    assert tx.state == "pending" and not Payment.objects.exists()


def test_wrong_reference_and_test_mode_are_rejected(issued):
    tx, _, op = _start(issued)
    op.refdet = "PAUTREFACTURE"
    op.save()
    fake_operation_decide(op=op, result="P")
    assert "Référence" in online_payment_notify(provider="fake", body=f"idOp={op.idop}").reason
    op.refdet, op.saisie = tx.reference, "T"
    op.save()
    assert online_payment_notify(provider="fake", body=f"idOp={op.idop}").reason == "Réponse en mode test."
    assert not Payment.objects.exists()


def test_refused_payment_leaves_invoice_due_and_allows_a_new_attempt(issued):
    tx, _, op = _start(issued)
    with pytest.raises(PaymentError):  # a payment in progress: cannot pay again
        online_payment_start(invoices=[issued], email="claire@example.org")
    fake_operation_decide(op=op, result="R")
    assert online_payment_notify(provider="fake", body=f"idOp={op.idop}").outcome == "accepted"
    tx.refresh_from_db()
    issued.refresh_from_db()
    assert tx.state == "refused" and issued.status == Invoice.Status.DUE
    tx2, _, _ = _start(issued)
    assert tx2.state == "pending"


def test_paid_invoice_cannot_be_paid_again(issued):
    _, _, op = _start(issued)
    fake_operation_decide(op=op, result="P")
    online_payment_notify(provider="fake", body=f"idOp={op.idop}")
    with pytest.raises(PaymentError):
        online_payment_start(invoices=[issued], email="claire@example.org")


def test_reconcile_asks_pending_and_expires_abandoned(issued, time_machine):
    time_machine.move_to(datetime.datetime(2026, 4, 5, 10, 0, tzinfo=datetime.timezone.utc), tick=False)
    tx, _, op = _start(issued)
    # Paid at the provider, but its notification never arrived: the job finds it.
    fake_operation_decide(op=op, result="P")
    time_machine.move_to(datetime.datetime(2026, 4, 5, 10, 30, tzinfo=datetime.timezone.utc), tick=False)
    assert online_payments_reconcile(now=timezone.now()) == {"checked": 1, "expired": 0}
    tx.refresh_from_db()
    assert tx.state == "paid"
    # A second invoice whose payer never came back from the card page: expired after 2 hours.
    other = invoice_make(regie=issued.regie, family=issued.family, number=50, total="10.00")
    tx2, _, _ = _start(other)
    time_machine.move_to(datetime.datetime(2026, 4, 5, 13, 0, tzinfo=datetime.timezone.utc), tick=False)
    counts = online_payments_reconcile(now=timezone.now())
    tx2.refresh_from_db()
    assert counts["expired"] == 1 and tx2.state == "expired"
    assert online_payments_reconcile(now=timezone.now()) == {"checked": 0, "expired": 0}  # idempotent


def test_reconcile_task_runs_as_a_logged_job(issued):
    result = task()
    assert result["status"] in ("success",)


def test_payment_start_needs_a_provider(issued):
    issued.regie.payment_provider = ""
    issued.regie.save()
    with pytest.raises(PaymentError):
        online_payment_start(invoices=[Invoice.objects.get(pk=issued.pk)], email="a@example.org")
    assert not OnlineTransaction.objects.exists()


def test_payfip_provider_goes_through_eopayment_payfip_ws(issued, monkeypatch):
    """PayFiP's web service is replaced by a test double at the SOAP-client level: no network."""
    calls = {}

    def get_idop(self, **kwargs):
        calls["get_idop"] = kwargs
        return "IDOP123456"

    def get_info_paiement(self, idop, timeout=None):
        tx = OnlineTransaction.objects.get(provider_transaction_id=idop)
        return _FakeInfo(
            numcli="123456", exer="2026", refdet=tx.reference, objet="", montant="4520", mel=tx.email, saisie="W",
            resultrans="P", numauto="112233", dattrans="05042026", heurtrans="1000",
        )

    monkeypatch.setattr(payfip_ws.PayFiP, "get_idop", get_idop)
    monkeypatch.setattr(payfip_ws.PayFiP, "get_info_paiement", get_info_paiement)
    regie = issued.regie
    regie.payment_provider, regie.payfip_numcli, regie.payfip_mode = "payfip_ws", "123456", "W"
    regie.save()
    tx, url = online_payment_start(invoices=[Invoice.objects.get(pk=issued.pk)], email="claire@example.org")
    assert url == "https://www.payfip.gouv.fr/tpa/paiementws.web?idop=IDOP123456"
    assert calls["get_idop"]["refdet"] == tx.reference and calls["get_idop"]["montant"] == "4520"
    assert calls["get_idop"]["url_notification"].endswith("/facturation/paiement/notification/payfip_ws/")
    note = online_payment_notify(provider="payfip_ws", body="idOp=IDOP123456")
    assert note.outcome == "accepted"
    tx.refresh_from_db()
    assert tx.state == "paid" and Payment.objects.get().amount == D("45.20")


def test_money_taken_after_expiry_is_still_recorded(issued):
    tx, _, op = _start(issued)
    OnlineTransaction.objects.filter(pk=tx.pk).update(state="expired")
    fake_operation_decide(op=op, result="P")
    assert online_payment_notify(provider="fake", body=f"idOp={op.idop}").outcome == "accepted"
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.PAID and Payment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicate_notifications_record_one_payment(parent):
    march = March(parent[1])
    [invoice] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end)
    tx, _, op = _start(invoice)
    fake_operation_decide(op=op, result="P")
    outcomes = []
    errors = run_in_threads(
        lambda: outcomes.append(online_payment_notify(provider="fake", body=f"idOp={op.idop}").outcome)
    )
    assert errors == []
    assert sorted(outcomes) == ["accepted", "duplicate", "duplicate", "duplicate"]
    assert Payment.objects.count() == 1 and PaymentAllocation.objects.get().amount == D("45.20")
