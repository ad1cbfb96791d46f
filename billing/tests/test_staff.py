"""Staff side: admin pages, direct-debit export, monthly job, system checks."""
import datetime
from decimal import Decimal as D

import pytest
from django.core.checks import Error
from django.urls import reverse
from django.utils import timezone

from billing import checks
from billing.models import CreditNote, DirectDebitBatch, DirectDebitMandate, Invoice, Payment
from billing.services.direct_debit import debit_batch_record_payments, debit_export, mandate_decide, mandate_request
from billing.tasks import invoices_issue_monthly
from portal.errors import BillingError
from portal.gdpr import export_sections
from portal.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_admin_issue_view_issues_the_period_once(admin_client, march):
    url = reverse("admin:billing_regie_issue", args=[march.regie.pk])
    assert admin_client.get(url).status_code == 200
    data = {"period_start": "2026-03-01", "period_end": "2026-03-31"}
    assert admin_client.post(url, data).status_code == 302
    assert admin_client.post(url, data).status_code == 302
    assert Invoice.objects.count() == 1
    invoice = Invoice.objects.get()
    page = admin_client.get(reverse("admin:billing_invoice_change", args=[invoice.pk]))
    assert page.status_code == 200 and "Établir un avoir" in page.content.decode()
    assert admin_client.get(reverse("admin:billing_invoice_changelist")).status_code == 200


def test_admin_forms_prefill_their_dates_and_warn_before_invoicing_days_to_come(admin_client, march):
    url = reverse("admin:billing_regie_issue", args=[march.regie.pk])
    page = admin_client.get(url).content.decode()
    start = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    assert f'value="{start.isoformat()}"' in page  # the previous month, in the date field's own format
    today = timezone.localdate()
    data = {"period_start": today.replace(day=1).isoformat(), "period_end": today.isoformat()}
    response = admin_client.post(url, data)
    assert response.status_code == 200 and "ne sont pas" in response.content.decode()
    assert not Invoice.objects.exists()
    assert admin_client.post(url, {**data, "not_over": "on"}).status_code == 302
    payment = admin_client.get(reverse("admin:billing_payment_add")).content.decode()
    assert f'value="{today.isoformat()}"' in payment  # the payment's date, filled in


def test_admin_credit_note_and_manual_payment(admin_client, issued, staff_user):
    url = reverse("admin:billing_invoice_credit", args=[issued.pk])
    response = admin_client.post(url, {"amount": "100.00", "reason": "Erreur"})
    assert response.status_code == 200 and "ne peut pas dépasser" in response.content.decode()
    assert admin_client.post(url, {"amount": "5.20", "reason": "Journée excusée"}).status_code == 302
    assert CreditNote.objects.get().amount == D("5.20")
    add = reverse("admin:billing_payment_add") + f"?family={issued.family_id}&regie={issued.regie_id}&invoices={issued.pk}"
    page = admin_client.get(add)
    assert page.status_code == 200 and issued.number in page.content.decode()
    response = admin_client.post(add, {
        "family": issued.family_id, "regie": issued.regie_id, "mode": "cheque", "amount": "15.00",
        "received_on": "2026-04-12", "reference": "1234567", "invoices": [issued.pk],
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    payment = Payment.objects.get()
    issued.refresh_from_db()
    assert payment.recorded_by == staff_user and issued.paid_amount == D("15.00") and issued.remaining == D("25.00")
    assert AuditLog.objects.filter(action="billing.payment", actor=staff_user).exists()
    assert admin_client.get(reverse("admin:billing_payment_change", args=[payment.pk])).status_code == 200


def test_direct_debit_export_is_a_valid_pain008_and_not_repeated(issued, staff_user):
    regie = issued.regie
    regie.sepa_creditor_name, regie.sepa_creditor_id = "REGIE GARDERIE ALSH", "FR12ZZZ123456"
    regie.sepa_iban, regie.sepa_bic = "FR7630006000011234567890189", "AGRIFRPP"
    regie.save()
    guardian = issued.payer
    mandate = mandate_request(family=issued.family, guardian=guardian, holder_name="Claire MARTIN", iban="DE89 3704 0044 0532 0130 00")
    assert mandate.bic == "COBADEFFXXX"
    with pytest.raises(BillingError):
        mandate_request(family=issued.family, guardian=guardian, holder_name="Claire", iban="DE89370400440532013000")
    with pytest.raises(BillingError):  # not accepted yet: nothing to collect
        debit_export(regie=regie, collection_date=datetime.date(2026, 5, 5), by=staff_user)
    mandate_decide(mandate=mandate, accept=True, by=staff_user)
    batch = debit_export(regie=regie, collection_date=datetime.date(2026, 5, 5), by=staff_user)
    assert batch.count == 1 and batch.total == D("45.20")
    assert "pain.008.001.02" in batch.xml and "<InstdAmt Ccy=\"EUR\">45.20</InstdAmt>" in batch.xml
    assert "<SeqTp>FRST</SeqTp>" in batch.xml and mandate.reference in batch.xml
    with pytest.raises(BillingError):  # already in a file
        debit_export(regie=regie, collection_date=datetime.date(2026, 5, 6), by=staff_user)
    assert debit_batch_record_payments(batch=batch, by=staff_user) == 1
    issued.refresh_from_db()
    assert issued.status == Invoice.Status.PAID and Payment.objects.get().mode == "direct_debit"
    with pytest.raises(BillingError):
        debit_batch_record_payments(batch=DirectDebitBatch.objects.get(), by=staff_user)
    assert DirectDebitMandate.objects.get(pk=mandate.pk).first_collection_done is True


def test_admin_debit_page_and_file_download(client, staff_user, issued):
    client.force_login(staff_user)
    regie = issued.regie
    assert "SEPA" in client.get(reverse("admin:billing_regie_debit", args=[regie.pk])).content.decode()
    response = client.post(reverse("admin:billing_regie_debit", args=[regie.pk]), {"collection_date": "2999-01-04"})
    assert "incomplets" in response.content.decode()


def test_monthly_job_issues_last_month_once(march):
    first = invoices_issue_monthly(now="2026-04-01T05:00:00+02:00")
    assert first["status"] == "success" and Invoice.objects.count() == 1
    assert Invoice.objects.get().period_start == datetime.date(2026, 3, 1)
    second = invoices_issue_monthly(now="2026-04-01T06:00:00+02:00")
    assert second["status"] == "skipped" and Invoice.objects.count() == 1


def test_system_check_refuses_test_payment_settings_without_debug(settings, monkeypatch, march):
    monkeypatch.setattr(checks, "is_test_settings", lambda: False)
    settings.DEBUG = False
    settings.PAYMENT_FAKE_PROVIDER = True
    settings.PAYMENT_ACCEPT_TEST_MODE = True
    settings.PAYMENT_CONSIDER_ALL_RESPONSES_SIGNED = True
    errors = checks.payment_settings_check()
    ids = {e.id for e in errors}
    assert {"billing.E001", "billing.E002", "billing.E003", "billing.E004"} <= ids
    assert all(isinstance(e, Error) for e in errors)
    with pytest.raises(Exception, match="démonstration"):
        checks.refuse_insecure_start()
    march.regie.payment_provider, march.regie.payfip_mode, march.regie.payfip_numcli = "payfip_ws", "T", "123456"
    march.regie.save()
    assert "billing.E005" in {e.id for e in checks.payment_settings_check()}
    settings.PAYMENT_FAKE_PROVIDER = settings.PAYMENT_ACCEPT_TEST_MODE = settings.PAYMENT_CONSIDER_ALL_RESPONSES_SIGNED = False
    march.regie.payfip_mode = "W"
    march.regie.save()
    assert checks.payment_settings_check() == []
    checks.refuse_insecure_start()
    settings.DEBUG = True
    settings.PAYMENT_FAKE_PROVIDER = True
    assert checks.payment_settings_check() == []


def test_every_billing_admin_page_renders(admin_client, issued, staff_user):
    mandate_request(family=issued.family, guardian=issued.payer, holder_name="Claire MARTIN", iban="FR7630006000011234567890189")
    for model in ("regie", "tariff", "invoice", "creditnote", "payment", "onlinetransaction", "paymentnotification",
                  "directdebitmandate", "directdebitbatch", "familypayer", "numbersequence"):
        response = admin_client.get(reverse(f"admin:billing_{model}_changelist"))
        assert response.status_code == 200, model
    assert admin_client.get(reverse("admin:billing_regie_change", args=[issued.regie_id])).status_code == 200
    assert admin_client.get(reverse("admin:billing_tariff_add")).status_code == 200
    response = admin_client.post(
        reverse("admin:billing_directdebitmandate_changelist"),
        {"action": "accept", "_selected_action": [DirectDebitMandate.objects.get().pk]},
    )
    assert response.status_code == 302 and DirectDebitMandate.objects.get().status == "active"


def test_gdpr_export_includes_the_mandate(issued):
    mandate_request(family=issued.family, guardian=issued.payer, holder_name="Claire MARTIN", iban="FR7630006000011234567890189")
    sections = {name: data for name, _label, data in export_sections(issued.family)}
    assert sections["prelevement"][0]["iban"] == "FR7630006000011234567890189"
