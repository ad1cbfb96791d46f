"""Staff journeys of the family desk and the billing desk in Chromium, at desktop and phone size, with axe."""
from io import BytesIO

import pytest
from pypdf import PdfReader

from billing.models import Payment
from portal.models import OutboundEmail

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_staff_finds_a_family_and_sees_its_balance(page, live_server, staff_browser_login, axe_check, staff_user,
                                                   issued):
    family = issued.family
    staff_browser_login(page, staff_user)
    page.goto(f"{live_server.url}/admin/families/family/?q={family.number}")
    page.get_by_role("link", name="Voir la fiche famille").first.click()
    page.get_by_role("heading", name=f"Famille {family.name}").wait_for()
    axe_check(page)
    _no_horizontal_scroll(page)
    assert page.get_by_text("Solde du compte : 45,20 €").is_visible()
    page.get_by_role("link", name=issued.number, exact=True).click()
    page.wait_for_load_state()
    assert issued.number in page.title() or page.get_by_text(issued.number).first.is_visible()


def test_staff_reminds_an_overdue_invoice(page, live_server, staff_browser_login, axe_check, staff_user, issued):
    staff_browser_login(page, staff_user)
    page.goto(f"{live_server.url}/admin/billing/invoice/")
    page.get_by_role("link", name="En retard", exact=True).click()
    page.wait_for_load_state()
    axe_check(page)
    row = page.get_by_role("row").filter(has_text=issued.number)
    assert "(en retard)" in row.inner_text()
    row.get_by_role("checkbox").check()
    page.get_by_role("combobox", name="Action").select_option(label="Relancer les factures sélectionnées (e-mail et courrier PDF)")
    page.get_by_role("button", name="Envoyer").click()
    page.get_by_text("1 facture(s) relancée(s) (1 par e-mail).").wait_for()
    axe_check(page)
    assert "Dernière relance" in page.content()
    href = page.get_by_role("link", name="Télécharger les courriers de relance (PDF)").get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    assert f"facture n° {issued.number}" in PdfReader(BytesIO(response.body())).pages[0].extract_text()
    assert OutboundEmail.objects.filter(template="invoice_reminder", to=issued.payer.email).count() == 1


def test_staff_records_a_payment_finding_the_family_by_search(page, live_server, staff_browser_login, staff_user,
                                                             issued):
    staff_browser_login(page, staff_user)
    page.goto(f"{live_server.url}/admin/billing/payment/add/")
    page.locator(".select2-selection").first.click()
    page.locator(".select2-search__field").fill(issued.family.number)
    page.get_by_role("option", name=issued.family.name).first.click()
    page.get_by_label("Régie").select_option(str(issued.regie_id))
    page.get_by_label("Mode de paiement").select_option("cheque")
    assert page.get_by_label("Date de réception").input_value()  # the date input shows today (ISO value)
    page.get_by_label("Montant").fill("20,00")
    page.get_by_role("button", name="Enregistrer le règlement").click()
    page.wait_for_load_state()
    page.get_by_text("Règlement enregistré").wait_for()
    payment = Payment.objects.get()
    assert payment.family_id == issued.family_id and str(payment.amount) == "20.00"
