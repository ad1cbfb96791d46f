"""Home-page block: the children's next booked days, pending requests and the basket."""
from django.db.models import Count, F, Q, Sum
from django.urls import reverse

from portal.dashboard import family_counters, register_block, register_counter
from portal.staff_home import SiteFigures, WaitingWork, register_today, register_waiting

from .basket import Basket
from .models import Booking, Enrolment, Occupancy
from .selectors import home_summary, pending_enrolments


@register_counter("pending_enrolments", stored=True)
def _pending_enrolments(family, today):
    return pending_enrolments(family=family)


@register_block
def enrolment_block(request):
    family = getattr(request, "family", None)
    if family is None:
        return None
    return {"order": 20, "template": "enrolment/_home_block.html", "basket_count": len(Basket(request.session)),
            "pending_enrolments": family_counters(request, ["pending_enrolments"])["pending_enrolments"],
            **home_summary(family=family)}


@register_waiting
def _enrolment_waiting(now):
    bookings = reverse("admin:enrolment_booking_changelist")
    yield WaitingWork(
        label="Demandes d'inscription", order=20,
        count=Enrolment.objects.filter(status=Enrolment.Status.PENDING).count(),
        url=reverse("admin:enrolment_enrolment_changelist") + f"?status__exact={Enrolment.Status.PENDING}",
    )
    yield WaitingWork(
        label="Demandes de réservation", order=30,
        count=Booking.objects.filter(state=Booking.State.REQUESTED).count(),
        url=bookings + f"?state__exact={Booking.State.REQUESTED}",
    )
    yield WaitingWork(
        label="Certificats médicaux et justificatifs d'absence", order=45,
        count=Booking.objects.filter(excuse=Booking.Excuse.REQUESTED).count(),
        url=bookings + f"?excuse__exact={Booking.Excuse.REQUESTED}",
    )


SITE = "unit__activity__activity_type__structure"
EXPECTED_STATES = (Booking.State.RESERVED, Booking.State.PRESENT)


@register_today
def _today_per_site(today):
    """Children expected, absences declared and places left today, per site (équipement): two queries."""
    rows = {
        row[f"{SITE}__name"]: row
        for row in Booking.objects.filter(date=today).values(f"{SITE}__name").annotate(
            expected=Count("child", distinct=True, filter=Q(state__in=EXPECTED_STATES)),
            absences=Count("child", distinct=True, filter=Q(absence_declared_at__isnull=False)
                           | Q(state=Booking.State.EXCUSED)),
        ).order_by()
    }
    # Places left on the units that have a capacity today (unit-wide counters; a group's own counter is
    # part of its unit's).
    places = {
        row[f"{SITE}__name"]: row["left"]
        for row in Occupancy.objects.filter(date=today, group__isnull=True, capacity__isnull=False).values(
            f"{SITE}__name").annotate(left=Sum(F("capacity") - F("booked"))).order_by()
    }
    for site in sorted(set(rows) | set(places)):
        row = rows.get(site, {})
        yield SiteFigures(site=site, expected=row.get("expected", 0), absences=row.get("absences", 0),
                          places_left=places.get(site))
