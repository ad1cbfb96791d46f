"""Paying several invoices in one online payment (seed 003 « Payer mes factures → étape suivante »):
the service (sum, one allocation per invoice, idempotency, failures, concurrency, refusals) and the
parent pages (ticked invoices, live total, recap, return page, isolation, query counts)."""
import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import rules
from billing.models import (
    DirectDebitBatch, DirectDebitItem, DirectDebitMandate, FakeProviderOperation, Invoice, OnlineTransaction,
    OnlineTransactionInvoice, Payment, PaymentAllocation,
)
from billing.providers import FakeProvider, ProviderError, fake_operation_decide
from billing.services.direct_debit import debit_candidates
from billing.services.payments import (
    online_payment_notify, online_payment_refresh, online_payment_start, online_payments_reconcile,
    online_payments_refresh_family, payment_record,
)
from families.tests.factories import GuardianFactory
from portal.errors import PaymentError
from portal.models import AuditLog, Organisation, OutboundEmail
from portal.tests.concurrency import run_in_threads

from .factories import invoice_make, regie_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def three(parent):
    """Three due invoices of one family and one régie (the demo provider), oldest due first."""
    family = parent[1]
    regie, _ = regie_make()
    payer = family.guardians.order_by("rank").first()
    return [
        invoice_make(regie=regie, family=family, number=n, total=total, payer=payer, issued_on=day)
        for n, total, day in [(1, "45.20", datetime.date(2026, 1, 31)), (2, "12.50", datetime.date(2026, 2, 28)),
                              (3, "30.00", datetime.date(2026, 3, 31))]
    ]


def _start(invoices, email="claire@example.org"):
    tx, _url = online_payment_start(invoices=invoices, email=email)
    return tx, FakeProviderOperation.objects.get(idop=tx.provider_transaction_id)


def _pay(op, result="P"):
    fake_operation_decide(op=op, result=result)
    return online_payment_notify(provider="fake", body=f"idOp={op.idop}")


def _fresh(invoices):
    return [Invoice.objects.get(pk=invoice.pk) for invoice in invoices]


# --- Rules (pure) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kwargs, expected", [
    ({}, ""),
    ({"due": False}, "elle est déjà réglée"),
    ({"remaining": D("0.00")}, "elle est déjà réglée"),
    ({"direct_debit": True}, "elle est réglée par prélèvement automatique"),
    ({"offered": False}, "le paiement en ligne n'est pas proposé pour cette régie"),
    ({"in_progress": True}, "un paiement en ligne de cette facture est déjà en cours"),
])
def test_online_payment_refusal(kwargs, expected):
    args = {"due": True, "remaining": D("10.00"), "offered": True, "in_progress": False, "direct_debit": False, **kwargs}
    assert rules.online_payment_refusal(**args) == expected


def test_online_amount_refusal():
    assert rules.online_amount_refusal(D("1.00"), minimum=D("1.0"), maximum=D("100000.0")) == ""
    assert rules.online_amount_refusal(D("100000.00"), minimum=D("1.0"), maximum=D("100000.0")) == ""
    assert "à partir de 1,00 €" in rules.online_amount_refusal(D("0.99"), minimum=D("1.0"), maximum=D("100000.0"))
    assert "dépasser 100\u202f000,00 €" in rules.online_amount_refusal(D("100000.01"), minimum=D("1.0"), maximum=D("100000.0"))
    assert rules.online_amount_refusal(D("5"), minimum=None, maximum=None) == ""


# --- Service ----------------------------------------------------------------------------------------


def test_one_payment_for_the_sum_settles_each_invoice_with_its_own_allocation(three, django_capture_on_commit_callbacks):
    numbers = [invoice.number for invoice in three]
    tx, op = _start(list(reversed(three)))  # the order ticked does not matter
    assert tx.amount == D("87.70") and tx.state == "pending"
    assert op.montant == 8770 and op.refdet == tx.reference and len(tx.reference) <= 30 and tx.reference.isalnum()
    assert op.objet == "3 factures " + " ".join(n.replace("-", " ") for n in numbers)  # PayFiP's objet, as eopayment writes it
    assert op.exer == "2026"
    assert sorted(tx.items.values_list("invoice__number", "amount", "active")) == [
        (numbers[0], D("45.20"), True), (numbers[1], D("12.50"), True), (numbers[2], D("30.00"), True),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert _pay(op).outcome == "accepted"
    payment = Payment.objects.get()
    assert payment.amount == D("87.70") and payment.mode == "online" and payment.online_transaction == tx
    assert sorted(PaymentAllocation.objects.values_list("invoice__number", "amount")) == [
        (numbers[0], D("45.20")), (numbers[1], D("12.50")), (numbers[2], D("30.00")),
    ]
    for before, invoice in zip(three, _fresh(three)):
        assert invoice.status == Invoice.Status.PAID and invoice.remaining == D("0.00")
        assert (invoice.number, invoice.total, invoice.issued_on) == (before.number, before.total, before.issued_on)
    assert not OnlineTransactionInvoice.objects.filter(active=True).exists()
    assert AuditLog.objects.get(action="billing.payment").new_values["allocations"] == {
        numbers[0]: "45.20", numbers[1]: "12.50", numbers[2]: "30.00",
    }
    receipt = OutboundEmail.objects.get(template="payment_receipt")
    assert "3 factures" in receipt.subject and all(number in receipt.body_text for number in numbers)


def test_repeated_notifications_refreshes_and_reconcile_record_one_payment(three, time_machine):
    time_machine.move_to(datetime.datetime(2026, 4, 5, 10, 0, tzinfo=datetime.timezone.utc), tick=False)
    tx, op = _start(three)
    assert _pay(op).outcome == "accepted"
    assert online_payment_notify(provider="fake", body=f"idOp={op.idop}").outcome == "duplicate"

    assert online_payment_refresh(transaction_obj=tx).outcome == "duplicate"
    assert online_payments_refresh_family(family=tx.family) == 0
    time_machine.move_to(datetime.datetime(2026, 4, 5, 14, 0, tzinfo=datetime.timezone.utc), tick=False)
    assert online_payments_reconcile(now=timezone.now()) == {"checked": 0, "expired": 0}
    assert Payment.objects.count() == 1 and PaymentAllocation.objects.count() == 3


@pytest.mark.parametrize("result, state", [("R", "refused"), ("A", "cancelled")])
def test_a_refused_or_abandoned_payment_leaves_every_invoice_unpaid_and_free(three, result, state, time_machine):
    time_machine.move_to(datetime.datetime(2026, 4, 5, 10, 0, tzinfo=datetime.timezone.utc), tick=False)
    tx, op = _start(three)
    fake_operation_decide(op=op, result=result)
    # PayFiP reports an abandon only a couple of minutes later (eopayment waits before calling it cancelled).
    time_machine.move_to(datetime.datetime(2026, 4, 5, 10, 5, tzinfo=datetime.timezone.utc), tick=False)
    assert online_payment_notify(provider="fake", body=f"idOp={op.idop}").outcome == "accepted"
    tx.refresh_from_db()
    assert tx.state == state and not Payment.objects.exists()
    assert all(invoice.status == Invoice.Status.DUE and invoice.paid_amount == 0 for invoice in _fresh(three))
    assert not tx.items.filter(active=True).exists()
    # The parent tries again with two of them only.
    tx2, _ = _start(three[:2])
    assert tx2.amount == D("57.70")


def test_provider_failure_at_start_leaves_the_invoices_free(three, monkeypatch):
    def down(self, transaction, **kwargs):
        raise ProviderError("Le service de paiement est indisponible pour le moment ; réessayez plus tard.")

    monkeypatch.setattr(FakeProvider, "start", down)
    with pytest.raises(PaymentError, match="indisponible"):
        online_payment_start(invoices=three, email="claire@example.org")
    tx = OnlineTransaction.objects.get()
    assert tx.state == "error" and not tx.items.filter(active=True).exists()
    monkeypatch.undo()
    assert _start(three)[0].state == "pending"


def test_reconcile_expiry_frees_the_invoices(three, time_machine):
    time_machine.move_to(datetime.datetime(2026, 4, 5, 10, 0, tzinfo=datetime.timezone.utc), tick=False)
    tx, _ = _start(three)
    time_machine.move_to(datetime.datetime(2026, 4, 5, 13, 0, tzinfo=datetime.timezone.utc), tick=False)
    assert online_payments_reconcile(now=timezone.now())["expired"] == 1
    assert not OnlineTransactionInvoice.objects.filter(active=True).exists()
    assert _start(three)[0].amount == D("87.70")


def test_an_invoice_paid_or_being_paid_is_refused_by_number(three, staff_user):
    first, second, third = three
    _start([first, second])
    with pytest.raises(PaymentError) as exc:
        online_payment_start(invoices=[second, third], email="claire@example.org")
    assert exc.value.message.startswith(f"La facture {second.number} ne peut pas être payée en ligne : un paiement")
    assert "Actualiser l'état des paiements" in exc.value.message

    payment_record(family=third.family, regie=third.regie, mode="cheque", amount="30.00",
                   received_on=datetime.date(2026, 4, 10), invoices=[third], by=staff_user)
    with pytest.raises(PaymentError, match=f"La facture {third.number} .* déjà réglée"):
        online_payment_start(invoices=[third], email="claire@example.org")
    assert OnlineTransaction.objects.count() == 1


def test_nothing_ticked_two_regies_another_family_and_bad_email_are_refused(three, other_family):
    with pytest.raises(PaymentError, match="Cochez au moins une facture"):
        online_payment_start(invoices=[], email="claire@example.org")
    with pytest.raises(PaymentError, match="adresse e-mail"):
        online_payment_start(invoices=three, email="claire")
    other_regie, _ = regie_make(name="Régie restauration", prefix="RS")
    meal = invoice_make(regie=other_regie, family=three[0].family, number=1, total="20.00")
    with pytest.raises(PaymentError, match="régies différentes .*Régie garderie ALSH et Régie restauration"):
        online_payment_start(invoices=[three[0], meal], email="claire@example.org")
    theirs = invoice_make(regie=three[0].regie, family=other_family[1], number=9, total="10.00")
    with pytest.raises(PaymentError, match="même famille"):
        online_payment_start(invoices=[three[0], theirs], email="claire@example.org")
    assert not OnlineTransaction.objects.exists()


def test_the_providers_limits_are_refused_before_anything_is_started(parent):
    family = parent[1]
    regie, _ = regie_make()
    big = [invoice_make(regie=regie, family=family, number=n, total="60000.00") for n in (1, 2)]
    with pytest.raises(PaymentError, match="ne peut pas dépasser 100\u202f000,00 € : cochez moins de factures"):
        online_payment_start(invoices=big, email="claire@example.org")
    assert _start(big[:1])[0].amount == D("60000.00")  # one of them alone is within the limit
    small = invoice_make(regie=regie, family=family, number=3, total="0.50")
    with pytest.raises(PaymentError, match="à partir de 1,00 €"):
        online_payment_start(invoices=[small], email="claire@example.org")
    assert OnlineTransaction.objects.count() == 1


def test_invoices_under_direct_debit_are_refused(three, staff_user):
    first, second, third = three
    regie = first.regie
    mandate = DirectDebitMandate.objects.create(
        family=first.family, holder_name="Claire MARTIN", iban="FR7630006000011234567890189", reference="RUM1",
        signed_on=datetime.date(2026, 1, 1), status=DirectDebitMandate.Status.ACTIVE,
    )
    # A régie that does not debit (no SEPA creditor id): the mandate does not concern its invoices.
    assert _start([first])[0].amount == D("45.20")
    regie.sepa_creditor_id = "FR12ZZZ123456"
    regie.save()
    with pytest.raises(PaymentError, match=f"La facture {second.number} .* prélèvement automatique"):
        online_payment_start(invoices=[second], email="claire@example.org")
    mandate.status = DirectDebitMandate.Status.REVOKED
    mandate.save()
    batch = DirectDebitBatch.objects.create(regie=regie, collection_date=datetime.date(2026, 4, 10), total=D("30"), count=1, xml="")
    DirectDebitItem.objects.create(batch=batch, invoice=third, mandate=mandate, amount=D("30.00"), sequence_type="FRST")
    with pytest.raises(PaymentError, match=f"La facture {third.number} .* prélèvement automatique"):
        online_payment_start(invoices=[second, third], email="claire@example.org")
    assert _start([second])[0].amount == D("12.50")


def test_a_direct_debit_file_skips_invoices_being_paid_online(three):
    regie = three[0].regie
    DirectDebitMandate.objects.create(
        family=three[0].family, holder_name="Claire MARTIN", iban="FR7630006000011234567890189", reference="RUM1",
        signed_on=datetime.date(2026, 1, 1), status=DirectDebitMandate.Status.ACTIVE,
    )
    _start(three[:2])  # started before the régie debits
    assert list(debit_candidates(regie=regie)) == [three[2]]


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_starts_one_payment(parent):
    family = parent[1]
    regie, _ = regie_make()
    invoices = [invoice_make(regie=regie, family=family, number=n, total="10.00") for n in (1, 2, 3)]
    started = []
    errors = run_in_threads(
        lambda: started.append(online_payment_start(invoices=_fresh(invoices), email="claire@example.org")[0].pk)
    )
    assert len(started) == 1 and len(errors) == 3
    assert all(isinstance(exc, PaymentError) for exc in errors), errors
    assert OnlineTransaction.objects.count() == 1 and OnlineTransactionInvoice.objects.filter(active=True).count() == 3
    op = FakeProviderOperation.objects.get()
    _pay(op)
    assert Payment.objects.count() == 1 and PaymentAllocation.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_selections_never_pay_an_invoice_twice(parent):
    family = parent[1]
    regie, _ = regie_make()
    a, b, c = (invoice_make(regie=regie, family=family, number=n, total="10.00") for n in (1, 2, 3))
    selections = iter([[a, b], [b, c], [c, a], [a, b, c]])
    errors = run_in_threads(lambda: online_payment_start(invoices=_fresh(next(selections)), email="claire@example.org"))
    assert len(errors) == 3 and all(isinstance(exc, PaymentError) for exc in errors), errors
    for op in FakeProviderOperation.objects.all():
        _pay(op)
    assert [i.status for i in _fresh([a, b, c])].count(Invoice.Status.PAID) == OnlineTransactionInvoice.objects.count()
    assert all(i.paid_amount <= i.total for i in _fresh([a, b, c]))


# --- Parent pages -------------------------------------------------------------------------------------


def _tick_query(invoices):
    return "&".join(f"facture={invoice.pk}" for invoice in invoices)


def test_invoices_page_has_a_box_per_payable_invoice_and_the_continue_step(parent_client, three, staff_user):
    paid = invoice_make(regie=three[0].regie, family=three[0].family, number=4, total="8.00", paid=D("8.00"))
    body = parent_client.get(reverse("billing:index")).content.decode()
    for invoice in three:
        assert f'name="facture" value="{invoice.pk}"' in body and f"Payer la facture {invoice.number} (" in body
    assert f'value="{paid.pk}"' not in body
    assert "Cochez les factures à payer" in body and ">Continuer</button>" in body
    assert f'hx-get="{reverse("billing:pay_total")}"' in body
    # Coming back from the recap to change the selection: the boxes are still ticked, the total shown.
    body = parent_client.get(reverse("billing:index") + "?" + _tick_query(three[:2])).content.decode()
    assert body.count(" checked>") == 2 and "2 factures cochées : 57,70 € à payer" in body
    payment_record(family=three[2].family, regie=three[2].regie, mode="cheque", amount="30.00",
                   received_on=datetime.date(2026, 4, 10), invoices=[three[2]], by=staff_user)
    assert f'value="{three[2].pk}"' not in parent_client.get(reverse("billing:index")).content.decode()


def test_invoices_under_direct_debit_have_no_box(parent_client, three):
    regie = three[0].regie
    regie.sepa_creditor_id = "FR12ZZZ123456"
    regie.save()
    DirectDebitMandate.objects.create(
        family=three[0].family, holder_name="Claire MARTIN", iban="FR7630006000011234567890189", reference="RUM1",
        signed_on=datetime.date(2026, 1, 1), status=DirectDebitMandate.Status.ACTIVE,
    )
    body = parent_client.get(reverse("billing:index")).content.decode()
    assert 'name="facture"' not in body and "Prélèvement automatique" in body and "Continuer" not in body


def test_live_total_fragment(parent_client, three):
    url = reverse("billing:pay_total")
    assert "Cochez les factures à payer" in parent_client.get(url).content.decode()
    body = parent_client.get(url + "?" + _tick_query(three)).content.decode()
    assert body.strip() == "<strong>3 factures cochées : 87,70 € à payer</strong>"
    assert "1 facture cochée : 45,20 €" in parent_client.get(url + "?" + _tick_query(three[:1])).content.decode()
    _start(three[1:2])
    assert "déjà en cours" in parent_client.get(url + "?" + _tick_query(three)).content.decode()
    for bad in ("facture=abc", "facture=-1", "facture=99999999", "facture=" + "9" * 40):
        assert parent_client.get(f"{url}?{bad}").status_code == 404, bad
    assert parent_client.post(url).status_code == 405


def test_recap_then_one_payment_then_the_return_page_lists_the_invoices_paid(parent_client, three):
    url = reverse("billing:pay_several")
    page = parent_client.get(url + "?" + _tick_query(three))
    body = page.content.decode()
    assert page.status_code == 200 and "Payer mes factures" in body and "Les 3 factures à payer en un seul paiement" in body
    for text in ("45,20 €", "12,50 €", "30,00 €", "Total à payer", "87,70 €", "Aller au paiement sécurisé"):
        assert text in body
    assert "form-action 'self' https://www.payfip.gouv.fr" in page["Content-Security-Policy"]
    response = parent_client.post(url, {"facture": [i.pk for i in three], "email": "recu@example.org"})
    tx = OnlineTransaction.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("billing:fake_provider", args=[tx.provider_transaction_id])
    assert tx.amount == D("87.70") and tx.items.count() == 3 and tx.email == "recu@example.org"
    back = parent_client.get(reverse("billing:payment_return", args=[tx.reference])).content.decode()
    assert "en cours de traitement" in back and not Payment.objects.exists()  # the return page never marks paid
    done = parent_client.post(reverse("billing:fake_provider", args=[tx.provider_transaction_id]), {"choice": "pay"})
    body = parent_client.get(done["Location"]).content.decode()
    numbers = ", ".join(i.number for i in three)
    assert f"Les factures {numbers} sont payées (87,70 €)" in body and "Les 3 factures de ce paiement" in body
    assert body.count("Payée") == 3
    assert all(i.status == Invoice.Status.PAID for i in _fresh(three))


def test_recap_refusals_are_said_in_french_and_keep_the_selection(parent_client, three):
    url = reverse("billing:pay_several")
    for response in (parent_client.get(url, follow=True), parent_client.post(url, {"email": "recu@example.org"}, follow=True)):
        assert response.redirect_chain == [(reverse("billing:index"), 302)]
        assert "Cochez au moins une facture à payer, puis cliquez sur « Continuer »." in response.content.decode()
    _start(three[:1])
    response = parent_client.post(url, {"facture": [i.pk for i in three], "email": "recu@example.org"})
    body = response.content.decode()
    assert response.status_code == 200 and f"La facture {three[0].number} ne peut pas être payée en ligne" in body
    assert "Modifier ma sélection" in body and f"?{_tick_query(three)}" in body.replace("&amp;", "&")
    assert OnlineTransaction.objects.count() == 1
    response = parent_client.post(url, {"facture": [three[1].pk], "email": "pas-une-adresse"})
    assert "pas-une-adresse" in response.content.decode() and OnlineTransaction.objects.count() == 1
    too_many = "&".join(f"facture={n}" for n in range(1, 200))
    assert "Cochez au plus 100 factures" in parent_client.get(f"{url}?{too_many}").content.decode()


def test_another_familys_or_hidden_invoice_answers_404(client, parent, other_family, three):
    url = reverse("billing:pay_several")
    client.force_login(other_family[0])
    theirs = invoice_make(regie=three[0].regie, family=other_family[1], number=9, total="10.00")
    assert client.get(f"{url}?facture={three[0].pk}").status_code == 404
    assert client.get(f"{url}?facture={theirs.pk}&facture={three[0].pk}").status_code == 404
    assert client.post(url, {"facture": [three[0].pk], "email": "pirate@example.org"}).status_code == 404
    assert client.get(reverse("billing:pay_total") + f"?facture={three[0].pk}").status_code == 404
    assert not OnlineTransaction.objects.exists()
    # The payer rule: the second guardian does not see (nor pay) invoices addressed to the first.

    second = GuardianFactory(family=parent[1], rank=2, first_name="Marc")
    org = Organisation.current()
    org.invoice_visibility = Organisation.InvoiceVisibility.PAYER
    org.save()
    client.force_login(second.user)
    assert client.get(f"{url}?{_tick_query(three)}").status_code == 404
    assert client.post(url, {"facture": [three[0].pk], "email": "marc@example.org"}).status_code == 404
    assert not OnlineTransaction.objects.exists()


@pytest.mark.parametrize("count", [3, 30])
def test_query_counts_do_not_grow_with_the_ticked_invoices(parent_client, parent, count, django_assert_max_num_queries):
    family = parent[1]
    regie, _ = regie_make()
    invoices = [invoice_make(regie=regie, family=family, number=n, total="10.00") for n in range(1, count + 1)]
    ticked = _tick_query(invoices)
    Organisation.current()
    parent_client.get(reverse("billing:index"))  # the configuration version and organisation read once
    with django_assert_max_num_queries(7):
        assert parent_client.get(reverse("billing:index") + "?" + ticked).status_code == 200
    with django_assert_max_num_queries(5):
        body = parent_client.get(reverse("billing:pay_total") + "?" + ticked).content.decode()
    assert f"{count} factures cochées : {count * 10},00 €" in body
    with django_assert_max_num_queries(5):
        assert parent_client.get(reverse("billing:pay_several") + "?" + ticked).status_code == 200
    with django_assert_max_num_queries(14):
        response = parent_client.post(reverse("billing:pay_several"), {"facture": [i.pk for i in invoices], "email": "a@example.org"})
    assert response.status_code == 302
    tx = OnlineTransaction.objects.get()
    _pay(FakeProviderOperation.objects.get())
    with django_assert_max_num_queries(5):
        body = parent_client.get(reverse("billing:payment_return", args=[tx.reference])).content.decode()
    assert body.count("Payée") == count
