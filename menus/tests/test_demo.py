import datetime

import pytest
from django.utils import timezone

from enrolment.tests.factories import StructureFactory
from menus.demo import populate
from menus.models import Dish, Menu
from menus.rules import week_start

pytestmark = pytest.mark.django_db


class _Out:
    def __init__(self):
        self.lines = []

    def write(self, line):
        self.lines.append(line)


def test_demo_has_four_weeks_of_menus_from_this_week():
    StructureFactory(name="Périscolaire", kind="periscolaire")
    StructureFactory(name="Les Castors", kind="leisure")
    out = _Out()
    populate(stdout=out, rng=None)
    monday = week_start(timezone.localdate())
    assert Menu.objects.count() == 8
    days = sorted(set(Dish.objects.values_list("day", flat=True)))
    assert days[0] == monday and days[-1] == monday + datetime.timedelta(days=25)
    assert len(days) == 4 * 5
    assert Dish.objects.filter(allergens__contains="peanuts").exists()
    assert Dish.objects.exclude(allergens="").count() > Dish.objects.filter(allergens="").count()
    assert "4 semaines" in out.lines[-1]
