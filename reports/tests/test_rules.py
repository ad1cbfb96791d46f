import datetime

from reports import rules
from reports.charts import bar_chart

T = datetime.time


def test_attended_interval_prefers_check_in_times_and_falls_back_to_planned_hours():
    planned = {"start_time": T(8, 30), "end_time": T(17, 30)}
    assert rules.attended_interval(arrived_at=T(8, 45), left_at=T(17, 15), **planned) == (525, 1035)
    assert rules.attended_interval(arrived_at=None, left_at=None, **planned) == (510, 1050)
    assert rules.attended_interval(arrived_at=T(9, 0), left_at=None, **planned) == (540, 1050)
    assert rules.attended_interval(arrived_at=None, left_at=T(12, 0), **planned) == (510, 720)
    # A meal without hours and no tap: nothing to count; times in the wrong order: nothing either.
    assert rules.attended_interval(arrived_at=None, left_at=None, start_time=None, end_time=None) is None
    assert rules.attended_interval(arrived_at=T(18, 0), left_at=None, **planned) is None


def test_attended_minutes_merge_units_of_one_day():
    assert rules.attended_minutes([]) == 0
    assert rules.attended_minutes([None]) == 0
    assert rules.attended_minutes([(510, 1050), (720, 810)]) == 540  # Journée and Repas inside it
    assert rules.attended_minutes([(510, 720), (720, 810), (840, 1050)]) == 300 + 210  # morning + meal, afternoon
    assert rules.attended_minutes([(840, 1050), (510, 720)]) == 420


def test_age_band_is_the_age_on_the_day_attended():
    born = datetime.date(2019, 12, 5)
    assert rules.age_band(born, datetime.date(2025, 12, 4)) == rules.UNDER_6
    assert rules.age_band(born, datetime.date(2025, 12, 5)) == rules.SIX_AND_OVER
    leap = datetime.date(2020, 2, 29)
    assert rules.age_on(leap, datetime.date(2026, 2, 28)) == 5
    assert rules.age_on(leap, datetime.date(2026, 3, 1)) == 6
    assert rules.age_on(leap, datetime.date(2024, 2, 29)) == 4


def test_hours_label_and_quotient_brackets():
    assert rules.hours_label(1560) == "26,00"
    assert rules.hours_label(45) == "0,75"
    assert rules.quotient_bracket(None) is None
    assert rules.quotient_bracket(0) == 0 and rules.quotient_bracket(399.99) == 0 and rules.quotient_bracket(400) == 1
    assert rules.quotient_bracket(2500) == len(rules.QUOTIENT_BRACKETS) - 1
    assert rules.quotient_bracket_label(400, 700) == "400 à 699 €"


def test_bar_chart_geometry_stays_inside_the_plot():
    chart = bar_chart(title="T", labels=["a", "b"], series=[("x", [3, 7]), ("y", [0, None])], limit=[10, None])
    assert len(chart.bars) == 4 and len(chart.limit_line) == 1
    for bar in chart.bars:
        assert chart.plot_left <= bar.x and bar.x + bar.width <= chart.plot_right + 0.01
        assert bar.y + bar.height <= chart.plot_bottom + 0.01 and bar.y >= 0
    tallest = max(chart.bars, key=lambda b: b.height)
    assert tallest.value == 7 and chart.ticks[-1][1] == "10"  # the axis tops at a round 10
    empty = bar_chart(title="Vide", labels=[], series=[("x", [])])
    assert empty.bars == [] and empty.ticks[-1][1] == "1"
