"""The CAF report and the statistics in Chromium, at phone and desktop sizes, with axe."""
import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from billing.tests.factories import invoice_make, regie_make
from families.tests.factories import FamilyFactory

from .example import D1, D2, EXPECTED, caf_example

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_caf_report_matches_the_hand_computed_example(page, live_server, browser_login, axe_check, staff_user, screen):
    activity = caf_example()
    browser_login(page, staff_user)
    page.goto(f"{live_server.url}/personnel/rapports/caf/")
    axe_check(page)
    page.get_by_label("Activité").select_option(label=activity.name)
    page.get_by_label("Du").fill(D1.isoformat())
    page.get_by_label("Au").fill(D2.isoformat())
    page.get_by_role("button", name="Afficher").click()
    table = page.get_by_role("table", name="Bilan par tranche d'âge")
    for label, key in (("Moins de 6 ans", "under6"), ("6 ans et plus", "6plus"), ("Total", "total")):
        row = table.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label, exact=True))
        expected = EXPECTED[key]
        expect(row.get_by_role("cell")).to_have_text([str(expected["children"]), str(expected["acts"]), expected["hours"]])
    axe_check(page)
    _no_sideways_scroll(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en Excel").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "Total;3;5;31,00" in text


def test_statistics_page_charts_and_tables(page, live_server, browser_login, axe_check, staff_user, screen):
    activity = caf_example()
    regie, _ = regie_make()
    invoice_make(regie=regie, family=FamilyFactory(quotient=Decimal("520")), number=1, total="42.50",
                 issued_on=datetime.date(2025, 12, 31))
    browser_login(page, staff_user)
    page.goto(f"{live_server.url}/personnel/rapports/statistiques/?activite={activity.pk}&du=2025-12-01&au=2025-12-31")
    expect(page.get_by_role("img", name="Places réservées par jour – Journée")).to_be_visible()
    expect(page.get_by_role("img", name="Réservations et présences par semaine")).to_be_visible()
    expect(page.get_by_role("img", name="Familles par tranche de quotient familial")).to_be_visible()
    expect(page.get_by_role("img", name="Facturé et impayé par mois – Régie garderie ALSH (€)")).to_be_visible()
    att = page.get_by_role("table", name="Réservations et présences par semaine")
    expect(att.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(["5", "4", "0", "0", "0 %"])
    rev = page.get_by_role("table", name="Régie garderie ALSH : facturé (avoirs déduits) et restant à payer, par mois de facture")
    expect(rev).to_contain_text("42,50 €")
    qf = page.get_by_role("table", name="Familles par tranche de quotient familial (QF valable aujourd'hui)")
    expect(qf.get_by_role("row").filter(has_text="400 à 699 €").get_by_role("cell")).to_have_text("1")
    # The charts are drawn: bars in the SVG, no script needed.
    assert page.locator("svg.chart rect").count() > 0
    axe_check(page)
    _no_sideways_scroll(page)
