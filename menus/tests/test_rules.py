import datetime

import pytest

from families import allergens
from menus import rules


def test_the_fourteen_regulated_allergens():
    assert len(allergens.ALLERGENS) == 14
    assert [name for _code, name, _wording in allergens.ALLERGENS] == [
        "Gluten", "Crustacés", "Œufs", "Poissons", "Arachides", "Soja", "Lait", "Fruits à coque", "Céleri", "Moutarde",
        "Graines de sésame", "Sulfites", "Lupin", "Mollusques",
    ]
    assert "10 mg/kg" in allergens.WORDINGS["sulphites"]


def test_codes_are_normalised_and_written_out():
    assert allergens.parse("milk,eggs,unknown,milk") == ["eggs", "milk"]
    assert allergens.parse("") == [] and allergens.parse(None) == []
    assert allergens.names("nuts,eggs") == "Œufs, fruits à coque"
    assert allergens.names("milk,eggs") == "Œufs, lait"


@pytest.mark.parametrize("text, codes", [
    ("Arachides", ["peanuts"]),
    ("Lactose", ["milk"]),
    ("arachides, fruits à coque", ["peanuts", "nuts"]),
    ("ŒUFS et céleri", ["eggs", "celery"]),
    ("Pollens de graminées", []),
    ("Kiwi", []),
    ("", []),
])
def test_free_text_maps_to_regulated_allergens(text, codes):
    assert allergens.from_text(text) == codes


def test_dish_alerts_name_each_child_and_the_allergens_in_common():
    children = [("Léa", "peanuts,milk"), ("Tom", ""), ("Zoé", "eggs")]
    assert rules.dish_alerts("milk,eggs,gluten", children) == [("Léa", ["lait"]), ("Zoé", ["œufs"])]
    assert rules.dish_alerts("", children) == []
    assert rules.dish_alerts("celery", children) == []


def test_weeks_and_months():
    assert rules.week_start(datetime.date(2026, 12, 6)) == datetime.date(2026, 11, 30)
    assert rules.default_week(datetime.date(2026, 12, 3)) == datetime.date(2026, 11, 30)
    assert rules.default_week(datetime.date(2026, 12, 5)) == datetime.date(2026, 12, 7)  # Saturday: next week
    assert rules.parse_week("2026-12-09") == datetime.date(2026, 12, 7)
    assert rules.parse_week("semaine 49") is None and rules.parse_week("99999-01-01") is None
    assert rules.month_bounds(2026, 2) == (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert rules.month_bounds(2026, 13) is None and rules.month_bounds(10**20, 1) is None
    assert rules.month_bounds(9999, 12) == (datetime.date(9999, 12, 1), datetime.date(9999, 12, 31))
