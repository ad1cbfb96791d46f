import io
import random

import pytest

from enrolment.models import Activity, Booking, CapacityOverride, Enrolment, Occupancy, WaitingListEntry

pytestmark = pytest.mark.django_db


def test_demo_populates_catalogue_enrolments_and_bookings():
    from enrolment import demo
    from families import demo as families_demo

    rng = random.Random(20250901)
    out = io.StringIO()
    families_demo.populate(stdout=out, rng=rng)
    demo.populate(stdout=out, rng=rng)
    names = set(Activity.objects.values_list("name", flat=True))
    assert any(n.endswith("ALAE Matin") for n in names)
    assert any(n.endswith("CL Élémentaire Mercredis") for n in names)
    assert sum(1 for n in names if " - CLV " in n) == 5
    assert Enrolment.objects.filter(status="validated").exists()
    assert Enrolment.objects.filter(status="pending").exists()
    assert Booking.objects.count() > 100
    assert CapacityOverride.objects.count() == 2
    assert WaitingListEntry.objects.exists()
    # Counters agree with the bookings.
    for occ in Occupancy.objects.filter(group__isnull=True)[:50]:
        held = Booking.objects.filter(unit=occ.unit, date=occ.date, state__in=Booking.HOLDING_STATES).count()
        assert occ.booked == held
    assert "Inscriptions :" in out.getvalue()


def test_demo_unit_rules_allow_a_day_with_its_meal():
    """« Journée + Repas » is bookable: the meal needs a presence unit, and the whole day is one."""
    from enrolment import demo, loaders, rules
    from families import demo as families_demo

    rng = random.Random(7)
    families_demo.populate(stdout=io.StringIO(), rng=rng)
    demo.populate(stdout=io.StringIO(), rng=rng)
    incompatible, required = loaders._unit_rules_load(None)
    checked = 0
    for activity in Activity.objects.filter(name__contains="CL"):
        units = {u.name: u.id for u in activity.units.all()}
        if "Repas" not in units:
            continue
        for combo in (("Journée", "Repas"), ("Matin", "Repas"), ("Après-midi", "Repas"), ("Matin", "Après-midi", "Repas")):
            ids = [units[n] for n in combo]
            assert not rules.unit_conflicts(ids, incompatible), combo
            assert not rules.missing_requirements(ids, required), combo
        assert rules.missing_requirements([units["Repas"]], required) == [units["Repas"]]
        assert rules.unit_conflicts([units["Journée"], units["Matin"]], incompatible)
        checked += 1
    assert checked == 7
