"""Parent journeys in Chromium, at desktop and phone size; axe-core on every page visited."""
import re
from decimal import Decimal
from io import BytesIO

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from .factories import invoice_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def billed(settings, live_server, parent, issued):
    settings.PORTAL_BASE_URL = live_server.url  # the provider sends the browser back here
    return parent[0], issued


def _invoices(page, live_server, axe_check):
    page.goto(f"{live_server.url}/facturation/")
    page.get_by_role("heading", name="Mes factures").wait_for()
    axe_check(page)


def test_parent_opens_an_invoice_pdf(page, live_server, browser_login, axe_check, billed):
    user, invoice = billed
    browser_login(page, user)
    _invoices(page, live_server, axe_check)
    link = page.get_by_role("link", name=re.compile(f"Facture PDF {invoice.number}"))
    href = link.get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    text = PdfReader(BytesIO(response.body())).pages[0].extract_text()
    assert f"Facture n° {invoice.number}" in text and "45,20 €" in text
    with page.context.expect_page() as popup_info:
        link.click()
    popup = popup_info.value
    assert popup.url.endswith(href)


def _invoice_item(page, invoice):
    """The invoice's table row (desktop) or card (phone): whichever the parent sees."""
    return page.get_by_role("row").or_(page.get_by_role("article")).filter(has_text=invoice.number)


def _go_to_card_page(page, live_server, axe_check, invoice):
    page.get_by_role("link", name=f"Payer la facture {invoice.number}").click()
    page.get_by_role("heading", name=f"Payer la facture {invoice.number}").wait_for()
    axe_check(page)
    assert page.get_by_label("Adresse e-mail pour recevoir le reçu de paiement").input_value()
    page.get_by_role("button", name="Aller au paiement sécurisé").click()
    page.get_by_role("heading", name=re.compile("Paiement par carte bancaire")).wait_for()
    axe_check(page)
    assert "45,20 €" in page.content()


def test_parent_pays_an_invoice_online_and_sees_it_paid(page, live_server, browser_login, axe_check, billed):
    user, invoice = billed
    browser_login(page, user)
    _invoices(page, live_server, axe_check)
    _go_to_card_page(page, live_server, axe_check, invoice)
    page.get_by_role("button", name="Payer").click()
    page.get_by_text("Paiement accepté.").wait_for()
    axe_check(page)
    _invoices(page, live_server, axe_check)
    row = _invoice_item(page, invoice)
    assert "Payée" in row.inner_text()
    assert page.get_by_role("link", name=f"Payer la facture {invoice.number}").count() == 0


def test_parent_refuses_a_payment_and_the_invoice_stays_due(page, live_server, browser_login, axe_check, billed):
    user, invoice = billed
    browser_login(page, user)
    _invoices(page, live_server, axe_check)
    _go_to_card_page(page, live_server, axe_check, invoice)
    page.get_by_role("button", name="Refuser").click()
    page.get_by_text("Paiement refusé.").wait_for()
    axe_check(page)
    _invoices(page, live_server, axe_check)
    row = _invoice_item(page, invoice)
    assert "En retard" in row.inner_text() and "45,20 €" in row.inner_text()  # due on 02/04/2026
    assert page.get_by_role("link", name=f"Payer la facture {invoice.number}").count() == 1


def test_parent_reads_statement_payments_and_direct_debit_pages(page, live_server, browser_login, axe_check, billed):
    user, invoice = billed
    browser_login(page, user)
    for path, heading in [
        ("/facturation/paiements/", "Mes paiements"), ("/facturation/releve/", "Relevé de compte"),
        ("/facturation/detail/", "Détail facturé par inscription"), ("/facturation/attestations/", "Attestations de frais de garde"),
        ("/facturation/prelevement/", "Prélèvement automatique"), ("/", "Opérations en cours"),
    ]:
        page.goto(live_server.url + path)
        page.get_by_role("heading", name=heading).wait_for()
        axe_check(page)
    assert invoice.number in page.content()


def test_ticking_every_invoice_of_the_page_at_once(page, live_server, browser_login, axe_check, three_due):
    """« Tout cocher »: every payable invoice of the page ticked in one go, the live total from the server;
    unticked in one go; mixed when some are ticked. A real checkbox: keyboard, 44 px, its state announced."""

    user, invoices = three_due
    # A paid invoice on the page has no box: « Tout cocher » leaves it out of the total.
    invoice_make(regie=invoices[0].regie, family=invoices[0].family, number=4, total="9.99", paid=Decimal("9.99"),
                 payer=invoices[0].payer)
    expected = f"{sum(i.total - i.paid_amount for i in invoices):.2f}".replace(".", ",")
    assert expected == "87,70"
    browser_login(page, user)
    _invoices(page, live_server, axe_check)
    all_box = page.get_by_role("checkbox", name=re.compile("^Tout cocher"))
    expect(all_box).to_be_visible()
    expect(all_box).not_to_be_checked()
    target = page.locator("label[for=tout-cocher]").bounding_box()
    assert target["height"] >= 44 and target["width"] >= 44
    boxes = page.get_by_role("checkbox", name=re.compile("^Payer la facture"))
    assert boxes.count() == 3

    all_box.focus()
    page.keyboard.press("Space")
    expect(page.get_by_role("status").filter(has_text="3 factures cochées")).to_have_text(
        f"3 factures cochées : {expected} € à payer")
    for i in range(3):
        expect(boxes.nth(i)).to_be_checked()
    expect(all_box).to_be_checked()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page)

    page.keyboard.press("Space")
    expect(page.get_by_role("status").filter(has_text="Cochez les factures à payer")).to_be_visible()
    for i in range(3):
        expect(boxes.nth(i)).not_to_be_checked()
    expect(all_box).not_to_be_checked()
    axe_check(page)

    # One ticked by hand: the box says « mixed »; ticking it then ticks the rest.
    boxes.first.check()
    expect(page.get_by_role("status").filter(has_text="1 facture cochée")).to_be_visible()
    expect(all_box).to_have_js_property("indeterminate", True)
    expect(all_box).to_have_attribute("id", "tout-cocher")
    all_box.check()
    expect(page.get_by_role("status").filter(has_text="3 factures cochées")).to_be_visible()
    page.get_by_role("button", name="Continuer").click()
    recap = page.get_by_role("table", name=re.compile("Les 3 factures à payer"))
    expect(recap).to_contain_text(f"{expected} €")


@pytest.fixture
def three_due(settings, live_server, parent, issued):
    """The March invoice (45,20 €) and two more of the same régie: three to pay together."""

    settings.PORTAL_BASE_URL = live_server.url
    payer = issued.payer
    more = [invoice_make(regie=issued.regie, family=issued.family, number=n, total=total, payer=payer)
            for n, total in ((2, "12.50"), (3, "30.00"))]
    return parent[0], [issued, *more]


def test_paying_three_invoices_at_once(page, live_server, browser_login, axe_check, three_due):
    """Seed 003 « Payer mes factures → étape suivante »: tick three invoices, see the total, pay once on the
    demo provider, come back: all three are paid."""
    user, invoices = three_due
    browser_login(page, user)
    _invoices(page, live_server, axe_check)
    total = page.get_by_role("status").filter(has_text="Cochez les factures à payer")
    total.wait_for()
    for invoice in invoices:
        box = page.get_by_role("checkbox", name=re.compile(f"Payer la facture {invoice.number}"))
        box.check()
        target = page.locator(f"label[for=facture-{invoice.pk}]").bounding_box()
        assert target["height"] >= 44 and target["width"] >= 44
    page.get_by_text("3 factures cochées : 87,70 € à payer").wait_for()  # the live total, from the server
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page)
    page.get_by_role("button", name="Continuer").click()
    page.get_by_role("heading", name="Payer mes factures").wait_for()
    axe_check(page)
    recap = page.get_by_role("table", name=re.compile("Les 3 factures à payer"))
    for invoice in invoices:
        assert invoice.number in recap.inner_text()
    assert "87,70 €" in recap.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.get_by_role("button", name="Aller au paiement sécurisé").click()
    page.get_by_role("heading", name=re.compile("Paiement par carte bancaire")).wait_for()
    assert "87,70 €" in page.content()
    page.get_by_role("button", name="Payer").click()
    page.get_by_text("Paiement accepté.").wait_for()
    axe_check(page)
    paid = page.get_by_role("table", name=re.compile("Les 3 factures de ce paiement"))
    for invoice in invoices:
        assert invoice.number in paid.inner_text()
    assert paid.inner_text().count("Payée") == 3
    _invoices(page, live_server, axe_check)
    for invoice in invoices:
        assert "Payée" in _invoice_item(page, invoice).inner_text()
    assert page.get_by_role("checkbox").count() == 0
