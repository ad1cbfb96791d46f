import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from billing.tests.factories import invoice_make, regie_make
from enrolment.models import Booking, Occupancy
from families.tests.factories import FamilyFactory
from reports import selectors

from .example import D1, D2, EXPECTED, caf_example

pytestmark = pytest.mark.django_db


def test_caf_report_matches_the_hand_computed_example():
    activity = caf_example()
    report = selectors.caf_report(activity=activity, start=D1, end=D2)
    got = {r["code"]: {"children": r["children"], "acts": r["acts"], "hours": r["hours"]} for r in report["rows"]}
    got["total"] = {k: report["total"][k] for k in ("children", "acts", "hours")}
    assert got == EXPECTED
    ines = [d for d in report["detail"] if d["first_name"] == "Inès"]
    assert sorted((d["band"], d["acts"], d["hours"]) for d in ines) == [("6 ans et plus", 1, "1,50"),
                                                                        ("Moins de 6 ans", 1, "8,50")]
    # The period bounds the days: the 10th alone.
    only_d2 = selectors.caf_report(activity=activity, start=D2, end=D2)
    assert only_d2["total"]["acts"] == 2 and only_d2["total"]["hours"] == "10,50"


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_caf_page_csv_and_excel(staff_client, django_assert_max_num_queries):
    activity = caf_example()
    url = reverse("reports_staff:caf") + f"?activite={activity.pk}&du={D1}&au={D2}"
    staff_client.get(url)
    with django_assert_max_num_queries(8):
        page = staff_client.get(url).content.decode()
    assert "26,00" in page and "5,00" in page and "31,00" in page
    csv = staff_client.get(url + "&format=csv").content.decode("utf-8-sig")
    assert "Moins de 6 ans;2;3;26,00" in csv and "6 ans et plus;2;2;5,00" in csv and "Total;3;5;31,00" in csv
    assert "EXEMPLE;Inès;05/12/2019;6 ans et plus;1;1,50" in csv
    response = staff_client.get(url + "&format=xlsx")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    rows = list(book["Bilan"].iter_rows(min_row=3, values_only=True))
    assert rows == [("Moins de 6 ans", 2, 3, 26), ("6 ans et plus", 2, 2, 5), ("Total", 3, 5, 31)]
    assert book["Détail par enfant"].max_row == 1 + 4  # Léo, Inès in each band, Tom; Zoé never came
    assert not any(r[1] == "Zoé" for r in book["Détail par enfant"].iter_rows(values_only=True))


def test_report_pages_refuse_bad_periods_in_french(staff_client):
    for query in ("du=2025-12-10&au=2025-12-01", "du=2020-01-01&au=2025-01-01", "du=pas-une-date&au=x",
                  "activite=abc&du=2025-01-01&au=2025-02-01", "activite=999999"):
        for name in ("reports_staff:caf", "reports_staff:statistics"):
            response = staff_client.get(reverse(name) + "?" + query)
            assert response.status_code == 200, (name, query)
    page = staff_client.get(reverse("reports_staff:caf") + "?du=2025-12-10&au=2025-12-01").content.decode()
    assert "La fin de la période est avant son début." in page
    page = staff_client.get(reverse("reports_staff:statistics") + "?du=2020-01-01&au=2025-01-01").content.decode()
    assert "Choisissez une période d&#x27;un an au plus." in page


def test_report_pages_are_staff_only(client, parent):
    client.force_login(parent[0])
    for name in ("reports_staff:caf", "reports_staff:statistics"):
        assert client.get(reverse(name)).status_code in (302, 403, 404)


@pytest.mark.parametrize("scale", [1, 20])
def test_statistics_page_figures_and_bounded_queries(staff_client, django_assert_max_num_queries, scale):
    activity = caf_example()
    unit = activity.units.get(code="J")
    Occupancy.objects.create(unit=unit, date=D1, booked=5, capacity=24)
    regie, _ = regie_make()
    for i in range(scale):
        family = FamilyFactory(quotient=Decimal("350") if i % 2 else Decimal("1200"))
        invoice_make(regie=regie, family=family, number=i + 1, total="30.00", issued_on=datetime.date(2025, 12, 31),
                     paid=Decimal("30.00") if i % 2 else Decimal("0"))
    url = reverse("reports_staff:statistics") + f"?activite={activity.pk}&du=2025-12-01&au=2025-12-31"
    staff_client.get(url)
    with django_assert_max_num_queries(18):  # 9 of them: the opening calendar (enrolment.loaders)
        page = staff_client.get(url).content.decode()
    assert page.count("<svg") == 5 and "role=\"img\"" in page
    assert "<style" not in page and "style=" not in page and "<script>" not in page
    weeks = selectors.bookings_against_attendance(activity=activity, start=D1, end=D2)
    assert [(w["booked"], w["present"], w["absent_billed"], w["excused"]) for w in weeks] == [(5, 4, 0, 0), (4, 2, 1, 1)]
    occupancy = selectors.occupancy_by_day(unit=unit, start=D1, end=D2)
    assert occupancy["days"][0] == {"date": D1, "booked": 5, "capacity": 24}
    assert occupancy["weeks"][0]["rate"] == 21
    (row,) = selectors.revenue_by_regie(start=datetime.date(2025, 12, 1), end=datetime.date(2025, 12, 31))
    assert row["months"][0]["invoiced"] == Decimal("30.00") * scale
    assert row["months"][0]["unpaid"] == Decimal("30.00") * ((scale + 1) // 2)
    spread = {r["label"]: r["families"] for r in selectors.quotient_spread(today=datetime.date(2025, 12, 31))}
    assert spread["0 à 399 €"] == scale // 2 and spread["1000 à 1499 €"] == (scale + 1) // 2
    assert f"{30 * scale},00 €" in page
