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
