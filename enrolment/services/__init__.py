"""Enrolment services, split by sub-domain (enrolment, booking and its commit, places, waiting list)."""
from .booking import (  # noqa: F401
    BOOK, CANCEL, Change, attendance_mark, booking_cancel_by_staff, booking_decide, booking_declare_absence,
    booking_excuse, enrolment_prebook,
)
from .commit import booking_commit, booking_commit_in_transaction  # noqa: F401
from .enrolment import (  # noqa: F401
    eligible_groups, enrolment_certificate_pdf, enrolment_decide, enrolment_request, enrolment_request_siblings,
)
from .waiting_list import (  # noqa: F401
    waiting_list_expire_offers, waiting_list_join, waiting_list_leave, waiting_list_place_freed,
)
