import datetime
import re
from decimal import Decimal as D
from io import BytesIO

import pytest
from django.db import connection
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from billing import selectors
from billing.models import DirectDebitMandate, FakeProviderOperation, Invoice, OnlineTransaction, Payment
from billing.providers import fake_operation_decide
from billing.selectors import childcare_certificate
from billing.services.direct_debit import mandate_decide
from billing.services.invoicing import credit_note_issue, invoice_issue_period
from billing.services.payments import online_payment_start, payment_record
from families.tests.factories import GuardianFactory
from portal.models import Organisation
from portal.tests.pdfua import assert_pdf_ua

from .factories import March, invoice_make, regie_make

pytestmark = pytest.mark.django_db


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def test_invoices_page_lists_number_payer_amounts_status_and_links(parent_client, issued):
    response = parent_client.get(reverse("billing:index"))
    body = response.content.decode()
    assert response.status_code == 200
    # Due on 02/04/2026, long past: « En retard ».
    for text in (issued.number, "02/04/2026", issued.payer_name, "45,20 €", "En retard", "Payer", reverse("billing:invoice_pdf", args=[issued.pk])):
        assert text in body
    assert "Actualiser l'état des paiements" in body


def test_an_invoice_is_late_only_after_its_due_date(parent_client, issued):
    Invoice.objects.filter(pk=issued.pk).update(due_on=timezone.localdate() + datetime.timedelta(days=1))
    body = parent_client.get(reverse("billing:index")).content.decode()
    assert "À payer" in body and "En retard" not in body
    Invoice.objects.filter(pk=issued.pk).update(due_on=timezone.localdate() - datetime.timedelta(days=1))
    body = parent_client.get(reverse("billing:index")).content.decode()
    assert "En retard" in body


def test_invoice_pdf_shows_number_lines_and_total(parent_client, issued):
    response = parent_client.get(reverse("billing:invoice_pdf", args=[issued.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert f"Facture n° {issued.number}" in text
    assert "Journée" in text and "Repas" in text and "12,50 €" in text and "3,85 €" in text
    assert "45,20 €" in text and "Reste à payer" in text and "04/03, 11/03, 18/03 (absence facturée)" in text
    assert "37,50 €" in text and "7,70 €" in text  # subtotals per unit
    assert issued.family.children.first().first_name in text


def test_invoice_pdf_is_tagged_pdf_ua(parent_client, issued):
    response = parent_client.get(reverse("billing:invoice_pdf", args=[issued.pk]))
    assert_pdf_ua(response.content, title=f"Facture {issued.number}")


def test_staff_can_download_any_invoice_pdf(client, staff_user, issued):
    client.force_login(staff_user)
    response = client.get(reverse("billing_staff:invoice_pdf", args=[issued.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert response["Cache-Control"] == "private, no-store"
    # The parents' URL does not branch on staff: without a family, 404.
    assert client.get(reverse("billing:invoice_pdf", args=[issued.pk])).status_code == 404


def test_staff_invoice_pdf_refuses_parents_even_their_own(parent_client, issued):
    response = parent_client.get(reverse("billing_staff:invoice_pdf", args=[issued.pk]))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_another_familys_invoice_pdf_payment_and_return_answer_404(client, other_family, issued):
    client.force_login(other_family[0])
    assert client.get(reverse("billing:invoice_pdf", args=[issued.pk])).status_code == 404
    assert client.get(reverse("billing:pay", args=[issued.pk])).status_code == 404
    assert client.post(reverse("billing:pay", args=[issued.pk]), {"email": "x@example.org"}).status_code == 404
    assert not OnlineTransaction.objects.exists()
    assert issued.number not in client.get(reverse("billing:index")).content.decode()

    tx, _ = online_payment_start(invoices=[issued], email="a@example.org")
    assert client.get(reverse("billing:payment_return", args=[tx.reference])).status_code == 404


def test_anonymous_is_sent_to_login(client, issued):
    response = client.get(reverse("billing:invoice_pdf", args=[issued.pk]))
    assert response.status_code == 302 and "/compte/login/" in response["Location"]


def test_pay_page_starts_payment_and_return_page_only_displays(parent_client, issued):
    response = parent_client.post(reverse("billing:pay", args=[issued.pk]), {"email": "recu@example.org"})
    tx = OnlineTransaction.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("billing:fake_provider", args=[tx.provider_transaction_id])
    page = parent_client.get(response["Location"])
    assert "45,20 €" in page.content.decode()
    assert "form-action 'self' https://www.payfip.gouv.fr" in parent_client.get(reverse("billing:pay", args=[issued.pk]))["Content-Security-Policy"]
    # the browser coming back (without the provider's result) changes nothing, even as a cross-site POST
    posted = parent_client.post(reverse("billing:payment_return", args=[tx.reference]), {"idOp": tx.provider_transaction_id})
    assert posted.status_code == 302 and posted["Location"] == reverse("billing:payment_return", args=[tx.reference])
    back = parent_client.get(reverse("billing:payment_return", args=[tx.reference]))
    assert "en cours de traitement" in back.content.decode()
    tx.refresh_from_db()
    assert tx.state == "pending" and not Payment.objects.exists()
    # the card page's « Payer »: notification then redirect back
    done = parent_client.post(reverse("billing:fake_provider", args=[tx.provider_transaction_id]), {"choice": "pay"})
    assert done.status_code == 302
    page = parent_client.get(done["Location"]).content.decode()
    assert "Paiement accepté" in page
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.PAID


def test_pay_form_error_keeps_input(parent_client, issued):
    response = parent_client.post(reverse("billing:pay", args=[issued.pk]), {"email": "pas-une-adresse"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "pas-une-adresse" in body and "adresse de courriel valide" in body


def test_refresh_button_asks_the_provider(parent_client, issued):

    tx, _ = online_payment_start(invoices=[issued], email="a@example.org")
    fake_operation_decide(op=FakeProviderOperation.objects.get(idop=tx.provider_transaction_id), result="P")
    response = parent_client.post(reverse("billing:payments_refresh"), follow=True)
    assert "mis à jour" in response.content.decode()
    tx.refresh_from_db()
    assert tx.state == "paid"


def test_payments_statement_and_detail(parent_client, issued, staff_user, time_machine):
    time_machine.move_to(datetime.datetime(2026, 4, 15, 10, 0, tzinfo=datetime.timezone.utc), tick=False)
    payment_record(family=issued.family, regie=issued.regie, mode="cheque", amount="20.00", received_on=datetime.date(2026, 4, 10), invoices=[issued], by=staff_user)
    credit_note_issue(invoice=issued, amount="5.00", reason="Geste commercial", by=staff_user)
    body = parent_client.get(reverse("billing:payments")).content.decode()
    assert issued.number in body and "Chèque" in body and "20,00 €" in body and "10/04/2026" in body
    body = parent_client.get(reverse("billing:statement") + "?annee=2025").content.decode()
    assert "Facture : 01/03/2026 - 31/03/2026" in body and "Règlement : Chèque" in body and "AV-AL-2026-00001" in body
    assert "20,20 €" in body  # 45.20 − 5.00 − 20.00
    body = parent_client.get(reverse("billing:statement") + "?annee=2024").content.decode()
    assert "2025-2026" in body and "Facture : 01/03/2026" in body  # an unknown year falls back to the current one
    body = parent_client.get(reverse("billing:enrolment_detail")).content.decode()
    assert "37,50 €" in body and "7,70 €" in body and "45,20 €" in body


def test_statement_previous_balance_carries_over(parent_client, parent, staff_user):
    regie, _ = regie_make()
    family = parent[1]
    invoice_make(regie=regie, family=family, number=1, total="100.00", issued_on=datetime.date(2025, 6, 30))
    invoice_make(regie=regie, family=family, number=2, total="30.00", issued_on=datetime.date(2025, 10, 31))
    data = parent_client.get(reverse("billing:statement") + "?annee=2025").context
    assert data["previous_balance"] == D("100.00") and data["balance"] == D("130.00")


def test_payer_only_visibility(client, parent, issued):

    family = parent[1]
    other_guardian = GuardianFactory(family=family, rank=2, first_name="Marc")
    org = Organisation.current()
    client.force_login(other_guardian.user)
    assert issued.number in client.get(reverse("billing:index")).content.decode()
    org.invoice_visibility = Organisation.InvoiceVisibility.PAYER
    org.save()
    assert issued.number not in client.get(reverse("billing:index")).content.decode()
    assert client.get(reverse("billing:invoice_pdf", args=[issued.pk])).status_code == 404


def test_home_block_shows_balance_and_unpaid_invoices(parent_client, issued):
    body = parent_client.get("/").content.decode()
    assert "Opérations en cours" in body and "45,20 €" in body and issued.number in body and "02/05/2026" in body


@pytest.mark.parametrize("invoices, queries", [(2, 1), (5, 1), (7, 2)])
def test_home_summary_counts_every_unpaid_invoice_and_lists_five(parent, invoices, queries):
    """The count and total of the unpaid invoices are those of the list while it holds them all (one query),
    and are counted apart when there are more than it shows (a second query)."""
    family = parent[1]
    regie, _ = regie_make()
    made = [invoice_make(regie=regie, family=family, number=n, total=10 + n, paid=D("1.00"),
                         issued_on=datetime.date(2026, 3, n), status=Invoice.Status.DUE) for n in range(1, invoices + 1)]
    invoice_make(regie=regie, family=family, number=99, total=50, paid=D("50.00"))  # paid: neither listed nor counted
    org = Organisation.current()
    with CaptureQueriesContext(connection) as captured:
        summary = selectors.home_summary(family=family, user=parent[0], organisation=org)
    assert len([q for q in captured.captured_queries if "billing_invoice" in q["sql"]]) == queries
    assert [i.number for i in summary["unpaid"]] == [i.number for i in made[:5]]
    assert summary["unpaid_count"] == invoices
    assert summary["unpaid_total"] == sum((D(9 + n) for n in range(1, invoices + 1)), D("0.00"))


@pytest.mark.parametrize("count", [5, 5000])
def test_query_counts_do_not_grow_with_invoices(parent_client, parent, count, django_assert_max_num_queries):
    regie, _ = regie_make()
    family = parent[1]
    guardian = family.guardians.first()
    Organisation.current()
    Invoice.objects.bulk_create([
        Invoice(
            regie=regie, family=family, payer=guardian, number=f"AL-2026-{n:05d}", year=2026, sequence_number=n,
            issued_on=datetime.date(2026, 3, 31), due_on=datetime.date(2026, 4, 30), period_start=datetime.date(2026, 3, 1),
            period_end=datetime.date(2026, 3, 31), total=D("10.00"), family_name=family.name, family_number=family.number,
            payer_name=guardian.full_name,
        )
        for n in range(1, count + 1)
    ])
    # Same bounds for 5 and 5,000 invoices; about 4 of each count are the per-request floor (session,
    # user with guardian and family, navigation badges), one more is left for it to grow.
    parent_client.get(reverse("billing:index"))  # the configuration version and organisation read once
    with django_assert_max_num_queries(7):
        assert parent_client.get(reverse("billing:index")).status_code == 200
    with django_assert_max_num_queries(8):
        response = parent_client.get(reverse("billing:statement") + "?annee=2025")
    assert response.context["balance"] == D("10.00") * count
    parent_client.get("/")  # fills the configuration and catalogue caches, as in a running server
    with django_assert_max_num_queries(10):
        home = parent_client.get("/")
    # The number and total of every unpaid invoice, though the block lists only the first five.
    assert f"Factures impayées ({count}) : {count * 10},00 €" in home.content.decode()
    assert home.content.decode().count("AL-2026-") == 5
    with django_assert_max_num_queries(6):
        assert parent_client.get(reverse("billing:payments")).status_code == 200


def test_direct_debit_request_validates_iban_and_staff_accept(parent_client, parent, staff_user):
    url = reverse("billing:direct_debit")
    response = parent_client.post(url, {"holder_name": "Claire MARTIN", "iban": "FR76 1234", "consent": "on"})
    assert response.status_code == 200 and "L&#x27;IBAN saisi n&#x27;est pas valide" in response.content.decode()
    assert "Claire MARTIN" in response.content.decode()
    response = parent_client.post(url, {"holder_name": "Claire MARTIN", "iban": "FR76 3000 6000 0112 3456 7890 189", "consent": "on"})
    assert response.status_code == 302
    mandate = DirectDebitMandate.objects.get()
    assert mandate.iban == "FR7630006000011234567890189" and mandate.status == "requested"

    mandate_decide(mandate=mandate, accept=True, by=staff_user)
    assert "prélèvement automatique sur le compte FR76" in parent_client.get(url).content.decode()


def test_childcare_certificate_counts_payments_for_children_under_six(parent_client, parent, staff_user):
    family = parent[1]
    child = family.children.first()
    child.birth_date = datetime.date(2021, 5, 1)  # 4 on 1 January 2026
    child.save()
    march = March(family)

    [invoice] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end, issued_on=datetime.date(2026, 4, 2))
    payment_record(family=family, regie=march.regie, mode="cesu", amount="45.20", received_on=datetime.date(2026, 4, 10), invoices=[invoice], by=staff_user)

    data = childcare_certificate(family=family, year=2026)
    assert [(r["child"].pk, r["amount"]) for r in data["rows"]] == [(child.pk, D("45.20"))]
    response = parent_client.get(reverse("billing:certificate_pdf", args=[2026]))
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "Attestation de frais de garde" in text and "45,20 €" in text and child.first_name in text
    assert_pdf_ua(response.content, title="Attestation de frais de garde 2026")
    assert childcare_certificate(family=family, year=2025)["rows"] == []
    assert parent_client.get(reverse("billing:certificate_pdf", args=[2025])).status_code == 404


@pytest.mark.parametrize("payer_only", [False, True])
def test_balance_matches_the_visible_documents(parent, staff_user, payer_only, django_assert_num_queries):
    """``family_balance`` and the statement's previous balance (one query, built on ``visible_invoices``
    & co.) add up what those show, in both visibility settings."""


    family = parent[1]
    first = family.guardians.order_by("rank").first()
    second = GuardianFactory(family=family, rank=2, first_name="Marc")
    regie, _ = regie_make()
    a = invoice_make(regie=regie, family=family, number=1, total="100.00", payer=first, issued_on=datetime.date(2025, 6, 30))
    b = invoice_make(regie=regie, family=family, number=2, total="40.00", payer=second, issued_on=datetime.date(2025, 10, 31))
    invoice_make(regie=regie, family=family, number=3, total="7.00", payer=second, issued_on=datetime.date(2026, 1, 31))
    credit_note_issue(invoice=a, amount="10.00", reason="Erreur", by=staff_user)
    credit_note_issue(invoice=b, amount="5.00", reason="Erreur", by=staff_user)
    payment_record(family=family, regie=regie, mode="cheque", amount="20.00", received_on=datetime.date(2025, 7, 10),
                   invoices=[a], payer=first, by=staff_user)
    payment_record(family=family, regie=regie, mode="cash", amount="15.00", received_on=datetime.date(2025, 11, 10),
                   invoices=[b], payer=second, by=staff_user)
    org = Organisation.current()
    org.invoice_visibility = Organisation.InvoiceVisibility.PAYER if payer_only else Organisation.InvoiceVisibility.FAMILY
    org.save()
    org = Organisation.current()
    for guardian in (first, second):
        user = guardian.user

        def orm(before=None):
            docs = [
                (selectors.visible_invoices(family=family, user=user, organisation=org), "total", "issued_on"),
                (selectors.visible_credit_notes(family=family, user=user, organisation=org), "amount", "issued_on"),
                (selectors.visible_payments(family=family, user=user, organisation=org), "amount", "received_on"),
            ]
            sums = [(qs.filter(**{f"{day}__lt": before}) if before else qs).aggregate(s=Sum(field))["s"] or D("0")
                    for qs, field, day in docs]
            return sums[0] - sums[1] - sums[2]

        with django_assert_num_queries(1):
            balance = selectors.family_balance(family=family, user=user, organisation=org)
        assert balance == orm()
        statement = selectors.account_statement(family=family, user=user, organisation=org, start_year=2025)
        assert statement["previous_balance"] == orm(before=datetime.date(2025, 9, 1))
    assert selectors.family_balance(family=family, user=first.user, organisation=org) == (D("70.00") if payer_only else D("97.00"))


def test_invoices_page_states_amounts_and_links_per_row(parent_client, parent, issued, staff_user):
    """Each row shows its state badge, amounts « 0,00 € », the due date only while something is
    left to pay, the PDF link, and « Payer » only when the invoice can be paid online."""


    family = parent[1]
    regie = issued.regie
    partial = invoice_make(regie=regie, family=family, number=2, total="30.00", paid=D("10.00"))
    paid = invoice_make(regie=regie, family=family, number=3, total="12.00", paid=D("12.00"))
    cancelled = invoice_make(regie=regie, family=family, number=4, total="8.00")
    credit_note_issue(invoice=cancelled, amount="8.00", reason="Annulation", by=staff_user)
    online_payment_start(invoices=[issued], email="a@example.org")
    body = parent_client.get(reverse("billing:index")).content.decode()
    rows = {m.group(1): m.group(0) for m in re.finditer(r"<tr>\s*<td class=\"billing-tick\">.*?</td>\s*<th scope=\"row\">.*?</span>([\w-]+)</th>.*?</tr>", body, re.S)}
    assert "Paiement en cours" in rows[issued.number] and "Payer" not in rows[issued.number]
    assert "Partiellement payée" in rows[partial.number] and "20,00 €" in rows[partial.number]
    assert "avant le 30/04/2026" in rows[partial.number] and f"/facturation/factures/{partial.pk}/payer/" in rows[partial.number]
    assert "Payée" in rows[paid.number] and "0,00 €" in rows[paid.number] and "avant le" not in rows[paid.number]
    assert "Annulée par avoir" in rows[cancelled.number] and "payer/" not in rows[cancelled.number]
    for invoice in (issued, partial, paid, cancelled):
        assert reverse("billing:invoice_pdf", args=[invoice.pk]) in rows[invoice.number]
