"""The cached catalogue: no query when warm, never stale after a catalogue change."""
import datetime

import pytest
import time_machine
from django.core.cache import cache

from enrolment import loaders, rules
from portal import caching
from enrolment.models import BookingWindow, CapacityOverride, ClosureDay, OpeningPeriod, SchoolHoliday

from .factories import UnitFactory, wednesdays_activity

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(datetime.datetime(2025, 11, 10, 9, 0, tzinfo=rules.PARIS), tick=False):
        yield


def test_warm_catalogue_costs_no_query(django_assert_num_queries):
    activity, group, (unit,) = wednesdays_activity()
    loaders.catalogue()
    with django_assert_num_queries(0):
        assert loaders.calendars_for([activity])[activity.id].is_open(D(2025, 12, 3))
        assert loaders.units_for(activity.id) == [unit]
        loaders.policies_for([activity])
        loaders.overrides_for([unit.id], (D(2025, 12, 1), D(2025, 12, 31)))
        loaders.unit_rules_for([unit.id])


def test_every_catalogue_change_is_seen_at_once():
    activity, group, (unit,) = wednesdays_activity()
    wed = D(2025, 12, 3)
    assert loaders.calendars_for([activity])[activity.id].is_open(wed)
    closure = ClosureDay.objects.create(activity=activity, date=wed, reason="Travaux")
    assert loaders.calendars_for([activity])[activity.id].status(wed) == (rules.CLOSURE, "Fermé (Travaux)")
    closure.delete()
    assert loaders.calendars_for([activity])[activity.id].is_open(wed)
    SchoolHoliday.objects.create(name="Noël", start_date=D(2025, 12, 1), end_date=D(2025, 12, 5))
    assert loaders.calendars_for([activity])[activity.id].status(wed)[0] == rules.SCHOOL_HOLIDAY
    OpeningPeriod.objects.create(activity=activity, start_date=wed, end_date=wed, wednesday=True,
                                 skip_school_holidays=False)
    assert loaders.calendars_for([activity])[activity.id].is_open(wed)
    CapacityOverride.objects.create(unit=unit, date=wed, capacity=2)
    assert loaders.overrides_for([unit.id], {wed}) == {(unit.id, None, wed): 2}
    activity.booking_rule = rules.WINDOW
    activity.save()
    BookingWindow.objects.create(activity=activity, name="Noël", period_start=wed, period_end=wed,
                                 closes_on=D(2025, 11, 30))
    policy = loaders.policies_for([activity])[activity.id]
    assert policy.rule == rules.WINDOW and policy.windows[0].name == "Noël"
    meal = UnitFactory(activity=activity, name="Repas", code="REP")
    assert [u.name for u in loaders.units_for(activity.id)] == [unit.name, "Repas"]
    meal.required_units.add(unit)
    unit.incompatible_units.add(meal)
    incompatible, required = loaders.unit_rules_for([unit.id, meal.id])
    assert required[meal.id] == {unit.id} and incompatible[unit.id] == {meal.id}
    unit.name = "Journée complète"
    unit.save()
    assert loaders.units_for(activity.id)[0].name == "Journée complète"


def test_change_committed_by_another_transaction_drops_the_copy_again_after_commit(
        django_capture_on_commit_callbacks):
    activity, group, (unit,) = wednesdays_activity()
    version = caching.current_token()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ClosureDay.objects.create(activity=activity, date=D(2025, 12, 3))
    # Before the commit another process, reading the committed (old) version, put it back in the shared cache.
    cache.set(caching.TOKEN_KEY, version, caching.TOKEN_TTL)
    assert caching.current_token() == version
    for callback in callbacks:
        callback()
    assert caching.current_token() != version  # the commit dropped it: the next read sees the new version
