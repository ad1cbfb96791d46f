"""The billing desk in the admin: due dates and the overdue filter, reminders (e-mail, letter PDF, audit), the
payment form (family search, amount pre-filled, comma decimals), credit notes per line, a year's tax statements."""
import datetime
import io
import zipfile
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from billing.models import CreditNote, InvoiceReminder, Payment, Tariff, TariffBracket
from billing.services.payments import payment_record
from billing.services.reminders import invoice_remind
from billing.tests.factories import activity_make
from families.models import Child
from portal.errors import BillingError
from portal.models import AuditLog, OutboundEmail

from .factories import invoice_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def not_due(issued):
    """An invoice of the same family issued today: not yet due."""
    return invoice_make(regie=issued.regie, family=issued.family, number=50, total="12.00", issued_on=timezone.localdate())


def _pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_changelist_shows_due_dates_and_filters_the_overdue(admin_client, issued, not_due):
    url = reverse("admin:billing_invoice_changelist")
    page = admin_client.get(url).content.decode()
    assert "Échéance" in page and f"{issued.due_on:%d/%m/%Y} <strong>(en retard)</strong>" in page
    assert "45,20 €" in page  # comma decimals
    overdue = admin_client.get(url, {"echeance": "retard"}).content.decode()
    assert issued.number in overdue and not_due.number not in overdue
    upcoming = admin_client.get(url, {"echeance": "a_venir"}).content.decode()
    assert not_due.number in upcoming and issued.number not in upcoming


def test_remind_action_emails_records_audits_and_links_the_letters(admin_client, issued, not_due, staff_user):
    url = reverse("admin:billing_invoice_changelist")
    response = admin_client.post(url, {"action": "remind", "_selected_action": [issued.pk, not_due.pk]}, follow=True)
    page = response.content.decode()
    assert "1 facture(s) relancée(s) (1 par e-mail)" in page and "pas encore échue" in page
    reminder = InvoiceReminder.objects.get()
    assert reminder.invoice == issued and reminder.rank == 1 and reminder.remaining == D("45.20")
    assert reminder.sent_by == staff_user
    email = OutboundEmail.objects.get(template="invoice_reminder")
    assert email.to == issued.payer.email and issued.number in email.subject and "45,20 €" in email.body_text
    assert AuditLog.objects.filter(action="billing.reminder", actor=staff_user, family=issued.family).exists()
    letters = reverse("billing_staff:reminder_letters") + f"?ids={reminder.pk}"
    assert letters.replace("&", "&amp;") in page or letters in page
    pdf = admin_client.get(letters)
    assert pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert f"Relance n° 1 – facture n° {issued.number}" in text and "45,20 €" in text
    # The date of the last reminder is shown in the list; a second reminder is rank 2.
    assert timezone.localdate().strftime("%d/%m/%Y") in admin_client.get(url, {"echeance": "relancee"}).content.decode()
    assert invoice_remind(invoice=issued, by=staff_user).rank == 2


def test_a_paid_invoice_is_not_reminded(issued, staff_user):
    payment_record(family=issued.family, regie=issued.regie, mode="cheque", amount=D("45.20"),
                   received_on=timezone.localdate(), invoices=[issued], by=staff_user)
    with pytest.raises(BillingError, match="réglée"):
        invoice_remind(invoice=issued, by=staff_user)
    assert not InvoiceReminder.objects.exists()


def test_reminder_letters_unknown_ids_are_404(admin_client):
    assert admin_client.get(reverse("billing_staff:reminder_letters") + "?ids=999,abc").status_code == 404


def test_payment_form_searches_families_and_prefills_the_remaining_amount(admin_client, issued):
    add = reverse("admin:billing_payment_add")
    blank = admin_client.get(add).content.decode()
    assert "admin-autocomplete" in blank and "Famille (nom ou n°)" in blank
    page = admin_client.get(add + f"?family={issued.family_id}&regie={issued.regie_id}&invoices={issued.pk}").content.decode()
    assert 'value="45,20"' in page
    search = admin_client.get(reverse("admin:autocomplete"), {
        "app_label": "billing", "model_name": "payment", "field_name": "family", "term": issued.family.number,
    })
    assert search.status_code == 200 and search.json()["results"][0]["id"] == str(issued.family_id)
    response = admin_client.post(add, {
        "family": issued.family_id, "regie": issued.regie_id, "mode": "cheque", "amount": "25,00",
        "received_on": "2026-04-12", "invoices": [issued.pk],
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Payment.objects.get().amount == D("25.00")


def test_credit_note_on_one_line(admin_client, issued):
    line = issued.lines.order_by("-amount").first()
    url = reverse("admin:billing_invoice_credit", args=[issued.pk])
    page = admin_client.get(url).content.decode()
    assert "Ligne corrigée" in page and f"{line.date:%d/%m/%Y} – {line.child_name}" in page
    too_much = admin_client.post(url, {"line": line.pk, "amount": str(line.amount + D("0.01")).replace(".", ","), "reason": "Erreur"})
    assert "montant restant de la ligne" in too_much.content.decode()
    assert admin_client.post(url, {"line": line.pk, "amount": "2,00", "reason": "Journée excusée"}).status_code == 302
    note = CreditNote.objects.get()
    assert note.line == line and note.amount == D("2.00") and line.child_name in note.reason
    issued.refresh_from_db()
    assert issued.credited_amount == D("2.00")


def test_a_years_tax_statements_as_a_zip(admin_client, issued, staff_user):
    Child.objects.filter(family=issued.family).update(birth_date=datetime.date(2021, 5, 14))
    year = timezone.localdate().year - 1
    payment_record(family=issued.family, regie=issued.regie, mode="cheque", amount=D("45.20"),
                   received_on=datetime.date(year, 6, 1), invoices=[issued], by=staff_user)
    url = reverse("billing_staff:certificates")
    assert "Télécharger les attestations" in admin_client.get(url).content.decode()
    response = admin_client.get(url, {"annee": year})
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    [name] = archive.namelist()
    assert name == f"attestation-{year}-famille-{issued.family.number}.pdf"
    text = _pdf_text(archive.read(name))
    assert f"année {year}" in text and "45,20 €" in text
    empty = admin_client.get(url, {"annee": year - 1})
    assert "Aucune famille" in empty.content.decode()
    assert admin_client.get(url, {"annee": "1999"}).status_code == 404


def test_tariff_form_accepts_comma_prices_and_searches_its_unit(admin_client, march):
    add = reverse("admin:billing_tariff_add")
    page = admin_client.get(add).content.decode()
    assert "admin-autocomplete" in page and 'name="unit"' in page
    response = admin_client.post(add, {
        "unit": march.meal_unit.pk, "label": "GOÛTER", "mode": "quotient", "flat_price": "", "valid_from": "01/09/2026",
        "brackets-TOTAL_FORMS": "2", "brackets-INITIAL_FORMS": "0", "brackets-MIN_NUM_FORMS": "0", "brackets-MAX_NUM_FORMS": "1000",
        "brackets-0-quotient_up_to": "700,50", "brackets-0-price": "1,25", "brackets-1-quotient_up_to": "", "brackets-1-price": "2,40",
    })
    assert response.status_code == 302, response.content.decode()[-3000:]
    tariff = Tariff.objects.get(label="GOÛTER")
    assert sorted(TariffBracket.objects.filter(tariff=tariff).values_list("price", flat=True)) == [D("1.25"), D("2.40")]
    flat = admin_client.post(add, {
        "unit": march.meal_unit.pk, "label": "REPAS 2027", "mode": "flat", "flat_price": "25,00", "valid_from": "01/09/2027",
        "brackets-TOTAL_FORMS": "0", "brackets-INITIAL_FORMS": "0", "brackets-MIN_NUM_FORMS": "0", "brackets-MAX_NUM_FORMS": "1000",
    })
    assert flat.status_code == 302 and Tariff.objects.get(label="REPAS 2027").flat_price == D("25.00")
    change = admin_client.get(reverse("admin:billing_tariff_change", args=[Tariff.objects.get(label="REPAS 2027").pk]))
    assert 'value="25,00"' in change.content.decode()


def test_unit_pickers_offer_the_units_of_the_same_activity(admin_client, march):
    _other, _group, (foreign_unit, _meal) = activity_make(structure=march.structure, name="2026/2027 - CL Mercredis")
    page = admin_client.get(reverse("admin:enrolment_unit_change", args=[march.day_unit.pk])).content.decode()
    assert f'<option value="{march.meal_unit.pk}">' in page
    assert f'<option value="{foreign_unit.pk}">' not in page
    activity_page = admin_client.get(reverse("admin:enrolment_activity_change", args=[march.activity.pk])).content.decode()
    assert f'<option value="{march.meal_unit.pk}">' in activity_page and f'<option value="{foreign_unit.pk}">' not in activity_page
