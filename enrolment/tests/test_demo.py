import datetime
import io
import random

import pytest
from django.utils import timezone

from enrolment import demo, loaders, rules, selectors
from enrolment.models import Activity, Booking, CapacityOverride, Enrolment, Occupancy, WaitingListEntry
from families import demo as families_demo
from families.models import Guardian
from families.selectors import family_requests

pytestmark = pytest.mark.django_db


def test_demo_populates_catalogue_enrolments_and_bookings():
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


def test_demo_parent_has_a_pending_and_a_refused_request_with_its_reason(time_machine):
    """The demo parent's « Mes demandes »: a booking request waiting, a refused one, a refused certificate."""
    time_machine.move_to(datetime.datetime(2026, 1, 15, 10, tzinfo=datetime.timezone.utc), tick=False)

    rng = random.Random(20250901)
    families_demo.populate(stdout=io.StringIO(), rng=rng)
    demo.populate(stdout=io.StringIO(), rng=rng)
    parent = Guardian.objects.filter(family__is_demo=True, user__isnull=False).order_by("family__number", "rank").first()
    items = family_requests(family=parent.family)["children"]
    statuses = {(item.kind_label, item.status) for item in items}
    assert ("Réservation", "pending") in statuses and ("Réservation", "refused") in statuses
    refused = [item for item in items if item.status == "refused"]
    assert all(item.refusal_reason for item in refused)
    assert any(item.kind_label.startswith("Absence") for item in refused)


def test_demo_shows_days_booked_outside_the_contract():
    """The late evening of the evening ALAE is not a regular unit: its bookings read « hors contrat »."""



    rng = random.Random(3)
    families_demo.populate(stdout=io.StringIO(), rng=rng)
    demo.populate(stdout=io.StringIO(), rng=rng)
    activity = Activity.objects.get(units__code="ALAE-S2")
    today = timezone.localdate()
    first_next = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    days = loaders.calendars_for([activity])[activity.id].open_days(first_next, first_next + datetime.timedelta(days=10))
    late = list(Booking.objects.filter(unit__code="ALAE-S2").select_related("enrolment__group"))
    assert len(late) == 3 * len(days[:2])  # none when next month starts with the summer holidays
    for booking in late:
        (day,) = selectors.calendar_days(enrolment=booking.enrolment, start=booking.date, end=booking.date)
        assert "Soir tardif 18 h 30 – 19 h : Réservation hors contrat" in [c.text for c in day.cells]
