import datetime

import factory

from enrolment.models import (
    Activity, ActivityType, BookingWindow, ClosureDay, Enrolment, Group, OpeningPeriod, SchoolHoliday, Structure, Unit,
)

SEASON_START = datetime.date(2025, 9, 1)
SEASON_END = datetime.date(2026, 7, 3)


class StructureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Structure

    name = factory.Sequence(lambda n: f"Accueil de loisirs {n}")
    kind = "leisure"


class ActivityTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityType

    structure = factory.SubFactory(StructureFactory)
    name = "Centre de loisirs"
    kind = "cl"


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    activity_type = factory.SubFactory(ActivityTypeFactory)
    name = factory.Sequence(lambda n: f"2025/2026 - CL Mercredis {n}")
    season_start = SEASON_START
    season_end = SEASON_END
    auto_validate = True
    booking_rule = "monthly"
    deadline_day = 20


class GroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Group

    activity = factory.SubFactory(ActivityFactory)
    name = "Élémentaire"


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    activity = factory.SubFactory(ActivityFactory)
    name = factory.Iterator(["Journée", "Matin", "Après-midi", "Repas"])
    code = factory.Sequence(lambda n: f"U{n}")
    start_time = datetime.time(8, 30)
    end_time = datetime.time(17, 30)
    capacity = 24


def wednesdays_activity(*, capacity=24, rule="monthly", units=("Journée",), **kwargs):
    """A Wednesday activity for the 2025/2026 season (school holidays closed) with one group."""
    activity = ActivityFactory(booking_rule=rule, **kwargs)
    OpeningPeriod.objects.create(activity=activity, start_date=SEASON_START, end_date=SEASON_END, wednesday=True)
    group = GroupFactory(activity=activity)
    made = [UnitFactory(activity=activity, name=name, code=f"{activity.pk}-{i}", capacity=capacity, order=i)
            for i, name in enumerate(units)]
    return activity, group, made


def school_holidays_2025_2026():
    """Zone A school holidays of 2025/2026 (last day of classes excluded)."""
    for name, s, e in [
        ("Toussaint", (2025, 10, 18), (2025, 11, 2)),
        ("Noël", (2025, 12, 20), (2026, 1, 4)),
        ("Hiver", (2026, 2, 7), (2026, 2, 22)),
        ("Printemps", (2026, 4, 4), (2026, 4, 19)),
        ("Été", (2026, 7, 4), (2026, 8, 31)),
    ]:
        SchoolHoliday.objects.create(name=name, start_date=datetime.date(*s), end_date=datetime.date(*e))


def enrol(child, activity, group):
    return Enrolment.objects.create(
        child=child, activity=activity, group=group, status="validated",
        requested_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc),
    )


__all__ = ["BookingWindow", "ClosureDay", "enrol", "school_holidays_2025_2026", "wednesdays_activity"]
