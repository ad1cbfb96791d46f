"""A holiday activity whose window opens with a request phase (winter 2026: days 9–20 February)."""
import datetime

from enrolment.models import Activity, BookingWindow, Group, OpeningPeriod, Unit
from enrolment.tests.factories import ActivityFactory

from opening.services import phase_for_window

P = datetime.timezone(datetime.timedelta(hours=1))
PERIOD_START, PERIOD_END = datetime.date(2026, 2, 9), datetime.date(2026, 2, 20)
DAYS = [PERIOD_START + datetime.timedelta(days=i) for i in range(12) if (PERIOD_START + datetime.timedelta(days=i)).weekday() < 5]
OPENS = datetime.datetime(2026, 1, 5, 8, 0, tzinfo=P)
CLOSES = datetime.datetime(2026, 1, 15, 0, 0, tzinfo=P)
RESULTS = datetime.datetime(2026, 1, 16, 18, 0, tzinfo=P)
DURING = datetime.datetime(2026, 1, 10, 9, 0, tzinfo=P)
AFTER = datetime.datetime(2026, 1, 16, 18, 0, tzinfo=P)


def request_window(*, capacity=2, units=("Journée",), **phase_settings):
    """(activity, group, units, window, phase) of a winter holiday centre, Monday to Friday, whose window is in
    request mode: requests 05/01 8 h – 15/01, attribution announced 16/01 18 h, first-come from 16/01 to 05/02."""
    activity = ActivityFactory(booking_rule=Activity.BookingRule.WINDOW, name="2025/2026 - CLV Hiver",
                               season_start=PERIOD_START, season_end=PERIOD_END)
    OpeningPeriod.objects.create(activity=activity, start_date=PERIOD_START, end_date=PERIOD_END,
                                 skip_school_holidays=False, monday=True, tuesday=True, wednesday=True,
                                 thursday=True, friday=True)
    group = Group.objects.create(activity=activity, name="Tous niveaux")
    made = [Unit.objects.create(activity=activity, name=name, code=f"{activity.pk}-{i}", capacity=capacity, order=i)
            for i, name in enumerate(units)]
    window = BookingWindow.objects.create(
        activity=activity, name="Hiver 2026", period_start=PERIOD_START, period_end=PERIOD_END,
        opens_on=datetime.date(2026, 1, 16), closes_on=datetime.date(2026, 2, 5),
        opening_mode=BookingWindow.OpeningMode.REQUESTS, requests_open_at=OPENS, requests_close_at=CLOSES,
        results_at=RESULTS)
    phase = phase_for_window(window)
    for name, value in phase_settings.items():
        setattr(phase, name, value)
    phase.save()
    return activity, group, made, window, phase
