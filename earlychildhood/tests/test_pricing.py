"""The PSU arithmetic against worked examples published with the CNAF rules (each cited)."""
import datetime
from decimal import Decimal as D

from earlychildhood import pricing

# Barème national au 1er janvier 2022 (Cnaf circulaire 2019-005), accueil collectif.
RATES_2022 = [pricing.RateRow(1, 1, D("0.0619")), pricing.RateRow(2, 2, D("0.0516")), pricing.RateRow(3, 3, D("0.0413")),
              pricing.RateRow(4, 7, D("0.0310")), pricing.RateRow(8, None, D("0.0206"))]


def test_effort_rate_by_number_of_children():
    assert [pricing.effort_rate(RATES_2022, n) for n in (1, 2, 3, 4, 7, 8, 12)] == [
        D("0.0619"), D("0.0516"), D("0.0413"), D("0.0310"), D("0.0310"), D("0.0206"), D("0.0206")]


def test_a_disabled_child_counts_as_one_more_child():
    # Circulaire 2019-005: a child receiving the AEEH in the family gives « le taux d'effort immédiatement
    # inférieur », once per such child (lespetitescanailles.fr/faq/calculer-tarif-place-en-creche).
    assert pricing.effort_rate(RATES_2022, pricing.counted_children(2, 1)) == D("0.0413")
    assert pricing.effort_rate(RATES_2022, pricing.counted_children(1, 0)) == D("0.0619")


def test_worked_example_three_children():
    # toupty.org/tarifs/creches-multi-accueil-psu (2021 barème): 3 children, 32 360 € a year:
    # (32 360 / 12) × 0,041 % = 1,11 € an hour.
    assert pricing.hourly_rate(resources=D("32360") / 12, floor=D("705.27"), ceiling=D("6000"),
                               rate_percent=D("0.0410")) == D("1.11")


def test_worked_example_one_child_forty_thousand_a_year():
    # laribambelle-asso.fr/le-cout-de-laccueil: one child, 40 000 € a year, 0,06 % → 2 € an hour.
    assert pricing.hourly_rate(resources=D("40000") / 12, floor=D("705.27"), ceiling=D("6000"),
                               rate_percent=D("0.06")) == D("2.00")


def test_floor_and_ceiling_examples():
    # leaetleo.com/simulateur-de-cout (2020 barème): floor 705,27 € × 0,0610 % = 0,43 €/h for one child;
    # ceiling 5 600 € × 0,0508 % = 2,84 €/h for two children.
    assert pricing.hourly_rate(resources=D("200"), floor=D("705.27"), ceiling=D("5600"), rate_percent=D("0.0610")) == D("0.43")
    assert pricing.hourly_rate(resources=D("9000"), floor=D("705.27"), ceiling=D("5600"), rate_percent=D("0.0508")) == D("2.84")


def test_rates_in_force_2025_floor_and_ceiling():
    # 2025 floor 801,00 € and ceiling 8 500 € from 1 September 2025 (caf.fr): 1 child.
    assert pricing.hourly_rate(resources=D("0"), floor=D("801.00"), ceiling=D("8500"), rate_percent=D("0.0619")) == D("0.50")
    assert pricing.hourly_rate(resources=D("12000"), floor=D("801.00"), ceiling=D("8500"), rate_percent=D("0.0619")) == D("5.26")


def test_mensualisation():
    # partenaires-caf66.fr « Mensualisation et absences déductibles » (circulaire 2014-009): the yearly
    # amount divided by the months; crechelepetitbonheur.fr: 47 weeks smoothed over 12 months.
    # 40 h a week × 47 weeks ÷ 12 months = 156,67 h; at 2,00 €/h = 313,33 €.
    assert pricing.monthly_hours(weekly_hours=40, weeks_per_year=47, months=12) == D("156.67")
    assert pricing.monthly_amount(weekly_hours=40, weeks_per_year=47, months=12, rate=D("2.00")) == D("313.33")


def test_extra_time_counted_by_started_half_hour():
    slot = ["08:30", "17:00"]
    t = datetime.time
    assert pricing.extra_half_hours(slot=slot, arrival=t(8, 30), departure=t(17, 0)) == 0
    assert pricing.extra_half_hours(slot=slot, arrival=t(8, 30), departure=t(17, 10)) == 1
    assert pricing.extra_half_hours(slot=slot, arrival=t(8, 0), departure=t(17, 31)) == 3
    assert pricing.extra_half_hours(slot=None, arrival=t(9, 0), departure=t(11, 0)) == 4  # day outside the contract


def test_illness_waiting_period_and_certificate():
    start, end = datetime.date(2026, 3, 2), datetime.date(2026, 3, 6)
    assert pricing.deductible_days(kind="illness", start=start, end=end, certificate=True) == [
        datetime.date(2026, 3, 5), datetime.date(2026, 3, 6)]
    assert pricing.deductible_days(kind="illness", start=start, end=end, certificate=False) == []
    assert len(pricing.deductible_days(kind="hospital", start=start, end=end, certificate=False)) == 5


def test_month_bill_with_one_extra_half_hour_and_one_deducted_day():
    schedule = {"0": ["08:00", "17:00"], "2": ["08:00", "12:00"]}
    days = {datetime.date(2026, 3, d) for d in (2, 4, 9, 11, 16, 18, 23, 25, 30)}
    t = datetime.time
    bill = pricing.month_bill(
        schedule=schedule, monthly_hours_value=D("48.75"), monthly_amount_value=D("97.50"), rate=D("2.00"),
        days_in_contract=days, attendances={datetime.date(2026, 3, 2): (t(8, 0), t(17, 20))},
        deductions={datetime.date(2026, 3, 9): "Hospitalisation de l'enfant"},
    )
    assert bill.extra_half_hours == 1 and bill.extra_amount == D("1.00")
    assert bill.deducted_hours == D("9.00") and bill.deducted_amount == D("18.00")
    assert bill.total == D("80.50")
    assert bill.billed_hours == D("40.25") and bill.attended_hours == D("9.33")


def test_score_explains_itself():
    total, lines = pricing.score([("Parent seul", 25), ("Domicile dans une commune membre", 20)])
    assert total == 45 and lines == [("Parent seul", 25), ("Domicile dans une commune membre", 20)]
