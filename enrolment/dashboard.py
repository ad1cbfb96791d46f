"""Home-page block: the children's next booked days, pending requests and the basket."""
from portal.dashboard import family_counters, register_block, register_counter

from .basket import Basket
from .selectors import home_summary, pending_booking_requests, pending_enrolments


@register_counter("pending_enrolments")
def _pending_enrolments(family, today):
    return pending_enrolments(family=family)


@register_counter("pending_bookings")
def _pending_bookings(family, today):
    return pending_booking_requests(family=family, today=today)


@register_block
def enrolment_block(request):
    family = getattr(request, "family", None)
    if family is None:
        return None
    counters = family_counters(request)
    return {"order": 20, "template": "enrolment/_home_block.html", "basket_count": len(Basket(request.session)),
            "pending_enrolments": counters["pending_enrolments"], "pending_bookings": counters["pending_bookings"],
            **home_summary(family=family)}
