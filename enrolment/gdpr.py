"""The enrolment sections of « Mes données » (registered in portal.gdpr)."""
from portal.gdpr import register_export

from .models import Booking, Enrolment


def enrolments_export(family):
    return [
        {"enfant": f"{e.child.first_name} {e.child.last_name}", "activite": e.activity.name, "groupe": e.group.name,
         "etat": e.get_status_display(), "demandee_le": e.requested_at, "traitee_le": e.decided_at,
         "motif_refus": e.refusal_reason}
        for e in Enrolment.objects.filter(child__family=family).select_related("child", "activity", "group")
        .order_by("-requested_at")
    ]


def bookings_export(family):
    return [
        {"date": b.date, "enfant": b.child.first_name, "activite": b.unit.activity.name, "prestation": b.unit.name,
         "etat": b.get_state_display()}
        for b in Booking.objects.filter(child__family=family).select_related("child", "unit__activity")
        .order_by("-date", "child__first_name").iterator(chunk_size=2000)
    ]


register_export("inscriptions", enrolments_export, label="Inscriptions", order=30)
register_export("reservations", bookings_export, label="Réservations", order=40)
