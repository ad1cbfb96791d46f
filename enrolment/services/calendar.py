"""Opening-calendar maintenance: import the school holidays of the organisation's zone."""
import datetime

from django.db import transaction
from django.utils import timezone
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

from portal.errors import EnrolmentError
from portal.models import Organisation

from ..models import SchoolHoliday


def school_holiday_periods(*, zone, years):
    """[(name, first day, last day)] of consecutive holiday days of ``zone`` (package vacances-scolaires-france)."""
    source = SchoolHolidayDates()
    days = {}
    for year in years:
        try:
            days.update(source.holidays_for_year_and_zone(year, zone))
        except UnsupportedYearException:
            continue
    periods = []
    for day in sorted(days):
        name = days[day]["nom_vacances"]
        if periods and periods[-1][0] == name and periods[-1][2] + datetime.timedelta(days=1) >= day:
            periods[-1][2] = day
        else:
            periods.append([name, day, day])
    return [tuple(p) for p in periods]


def school_holidays_import(*, today=None):
    """Create the missing school-holiday periods of this year and the next for the organisation's zone.

    Idempotent: a period with the same first and last day is not created twice. Returns the number created.
    """
    today = today or timezone.localdate()
    zone = Organisation.current().school_zone
    periods = school_holiday_periods(zone=zone, years=[today.year, today.year + 1])
    if not periods:
        raise EnrolmentError("Aucune donnée de vacances scolaires disponible pour ces années.")
    created = 0
    with transaction.atomic():
        existing = set(SchoolHoliday.objects.values_list("start_date", "end_date"))
        for name, start, end in periods:
            if (start, end) not in existing:
                SchoolHoliday.objects.create(name=name, start_date=start, end_date=end)
                created += 1
    return created
