"""The bookings section of the staff family page (families.staff_desk): the next weeks' bookings, and the
family's enrolments."""
import datetime

from families.staff_desk import register_section

from .models import Booking, Enrolment

WEEKS = 4
ROWS = 60


@register_section
def bookings_section(family, today):
    until = today + datetime.timedelta(weeks=WEEKS)
    bookings = list(
        Booking.objects.for_family(family).filter(date__gte=today, date__lt=until)
        .exclude(state__in=[Booking.State.CANCELLED, Booking.State.REFUSED])
        .select_related("child", "unit__activity").order_by("date", "child__first_name", "unit__order")[:ROWS]
    )
    enrolments = list(
        Enrolment.objects.for_family(family).exclude(status=Enrolment.Status.CANCELLED)
        .select_related("child", "activity").order_by("-activity__season_start", "child__first_name")[:20]
    )
    return {
        "order": 20, "title": f"Inscriptions et réservations des {WEEKS} prochaines semaines",
        "template": "enrolment/_staff_family.html", "bookings": bookings, "enrolments": enrolments,
        "until": until, "rows": ROWS,
    }
