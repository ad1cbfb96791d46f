"""Opening-calendar maintenance: import the school holidays of the organisation's zone, one school year at a
time, from the package vacances-scolaires-france (its data ships with it: no network)."""
import datetime

from django.db import transaction
from django.db.models import Q
from vacances_scolaires_france import SchoolHolidayDates, UnsupportedYearException

from portal.errors import EnrolmentError
from portal.models import AuditLog, Organisation

from .. import rules
from ..models import SchoolHoliday


def school_holiday_periods(*, zone, years):
    """[(name, first day, last day)] of consecutive holiday days of ``zone`` over the calendar ``years``
    (package vacances-scolaires-france); a year the package does not know is skipped."""
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


def known_school_years():
    """The school years (first calendar year) the package has the whole of."""
    source = SchoolHolidayDates()
    return range(source.min_year, source.max_year)


def school_year_holidays(*, zone, school_year):
    """[(name, first day, last day)] of the school year ``school_year``/``school_year + 1``: the periods that
    start between 1 September and 31 August, whole (Noël runs to its real end in January). Refuses a school
    year the package does not have entirely."""
    if school_year not in known_school_years():
        raise EnrolmentError(f"Les dates des vacances de l'année scolaire {rules.school_year_label(school_year)} "
                             f"ne sont pas connues.")
    first, last = datetime.date(school_year, 9, 1), datetime.date(school_year + 1, 8, 31)
    return [p for p in school_holiday_periods(zone=zone, years=[school_year, school_year + 1])
            if first <= p[1] <= last]


def school_holidays_import(*, school_year, by=None):
    """Bring the school holidays of ``school_year`` for the organisation's zone into SchoolHoliday.

    A period already there with the same dates is left alone; one that overlaps an imported period (typed by
    hand, or cut at 31 December by an older import) takes its name and dates. Idempotent; audited.
    Returns (created, updated).
    """
    zone = Organisation.current().school_zone
    periods = school_year_holidays(zone=zone, school_year=school_year)
    created = updated = 0
    with transaction.atomic():
        first, last = periods[0][1], periods[-1][2]
        existing = list(SchoolHoliday.objects.select_for_update().filter(
            Q(end_date__gte=first) & Q(start_date__lte=last)).order_by("start_date", "pk"))
        for name, start, end in periods:
            same = next((h for h in existing if (h.start_date, h.end_date) == (start, end)), None)
            if same is not None:
                continue
            overlap = next((h for h in existing if h.start_date <= end and h.end_date >= start), None)
            if overlap is not None:
                overlap.name, overlap.start_date, overlap.end_date = name, start, end
                overlap.save()
                updated += 1
            else:
                existing.append(SchoolHoliday.objects.create(name=name, start_date=start, end_date=end))
                created += 1
        AuditLog.objects.create(
            actor=by, action="enrolment.school_holidays_import",
            summary=f"Vacances scolaires {rules.school_year_label(school_year)} (zone {zone}) : "
                    f"{created} ajoutée(s), {updated} corrigée(s)",
            new_values={"school_year": school_year, "zone": zone,
                        "periods": [[n, s.isoformat(), e.isoformat()] for n, s, e in periods]},
        )
    return created, updated
