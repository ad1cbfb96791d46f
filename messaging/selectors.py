"""Reads of the messaging, each in a bounded number of queries."""
import datetime

from django.db.models import Count, F, Prefetch, Q
from django.http import Http404
from django.utils import timezone

from enrolment.models import Booking, Enrolment
from families.models import Family, Guardian

from .models import Attachment, MassMessage, Message, SmsMessage, Thread
from .sms import mobile_to_e164

BOXES = {
    "received": "Messages reçus",
    "sent": "Messages envoyés",
    "deleted": "Messages supprimés",
}


def family_unread_messages(*, family):
    """Messages from the service the family has not read (``family``: a Family, its id or an OuterRef)."""
    return Message.objects.for_family(family).filter(
        thread__family_deleted_at__isnull=True, from_staff=True, read_at__isnull=True
    )


_BOX_FILTERS = {
    "received": Q(family_deleted_at__isnull=True, last_staff_message_at__isnull=False),
    "sent": Q(family_deleted_at__isnull=True, last_family_message_at__isnull=False),
    "deleted": Q(family_deleted_at__isnull=False),
}
_THREADS_LIMIT = 200


def family_threads(*, family, box="received"):
    """Threads of one box (the latest 200) with their unread count (1 query)."""
    return list(
        Thread.objects.for_family(family).filter(_BOX_FILTERS[box]).select_related("service")
        .annotate(unread=Count("messages", filter=Q(messages__from_staff=True, messages__read_at__isnull=True)))
        .order_by("-last_message_at")[:_THREADS_LIMIT]
    )


def family_box_counts(*, family):
    """Number of threads per box (1 query)."""
    return Thread.objects.for_family(family).aggregate(
        **{box: Count("pk", filter=condition) for box, condition in _BOX_FILTERS.items()}
    )


def _threads_with_messages():
    return Thread.objects.select_related("service", "family", "assigned_to").prefetch_related(
        Prefetch("messages", queryset=Message.objects.order_by("created_at", "pk").prefetch_related(
            Prefetch("attachments", queryset=Attachment.objects.order_by("pk"))
        ))
    )


def _get_or_404(queryset, pk):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def family_thread(*, thread_id, family):
    """One of the family's threads with its messages and attachments (3 queries); another family's: 404."""
    return _get_or_404(_threads_with_messages().for_family(family), thread_id)


def staff_thread(*, thread_id):
    """Any thread with its messages and attachments, for the service's inbox (3 queries)."""
    return _get_or_404(_threads_with_messages(), thread_id)


def family_attachment(*, attachment_id, family):
    """One attachment of the family's threads; another family's: 404."""
    return _get_or_404(Attachment.objects.for_family(family), attachment_id)


def staff_attachment(*, attachment_id):
    return _get_or_404(Attachment.objects.all(), attachment_id)


# A message waits for an answer when the family wrote last, more than this long ago.
UNANSWERED_AFTER = datetime.timedelta(days=2)


def staff_threads_unanswered(*, now=None):
    """Threads (not archived) whose last message is the family's and more than two days old."""
    cutoff = (now or timezone.now()) - UNANSWERED_AFTER
    return Thread.objects.filter(staff_deleted_at__isnull=True, last_family_message_at__lt=cutoff).filter(
        Q(last_staff_message_at__isnull=True) | Q(last_staff_message_at__lt=F("last_family_message_at"))
    )


def staff_threads(*, service_id=None, status=None, assigned=None, archived=False, user=None, waiting=False,
                  family=None, limit=200):
    """The service's conversations, filtered; ``family`` is a family's number (exact) or part of its name."""
    qs = Thread.objects.select_related("service", "family", "assigned_to").annotate(
        unread=Count("messages", filter=Q(messages__from_staff=False, messages__read_at__isnull=True))
    )
    qs = qs.filter(staff_deleted_at__isnull=not archived)
    if service_id:
        qs = qs.filter(service_id=service_id)
    if family:
        qs = qs.filter(Q(family__number__iexact=family) | Q(family__name__icontains=family))
    if status:
        qs = qs.filter(status=status)
    if assigned == "me" and user is not None:
        qs = qs.filter(assigned_to=user)
    elif assigned == "none":
        qs = qs.filter(assigned_to__isnull=True)
    if waiting:
        qs = qs.filter(pk__in=staff_threads_unanswered().values("pk"))
    return list(qs.order_by("-last_message_at")[:limit])


# --- Mass messages: who receives them ---------------------------------------------------------------------

# A day's attendance list: the children booked (or already marked present) on the unit that day.
DAY_LIST_STATES = (Booking.State.RESERVED, Booking.State.PRESENT)


def mass_message_families(*, target, structure=None, activity=None, group=None, unit=None, day=None, today=None):
    """The families a mass message goes to (a queryset, one query when evaluated).

    Site, activity, group: families with a child whose enrolment is validated in an activity of the current
    or a coming season (the child still active). Day: families with a child booked on ``unit`` that ``day``.
    """
    today = today or timezone.localdate()
    if target == MassMessage.Target.DAY:
        children = Booking.objects.filter(unit=unit, date=day, state__in=DAY_LIST_STATES, child__is_active=True)
    else:
        children = Enrolment.objects.validated().filter(activity__season_end__gte=today)
        if target == MassMessage.Target.STRUCTURE:
            children = children.filter(activity__activity_type__structure=structure)
        elif target == MassMessage.Target.ACTIVITY:
            children = children.filter(activity=activity)
        elif target == MassMessage.Target.GROUP:
            children = children.filter(group=group)
        else:
            raise ValueError(f"unknown target {target!r}")
    return Family.objects.filter(pk__in=children.values("child__family_id")).order_by("name", "pk")


def mass_message_recipients(families):
    """Who receives what, with opt-outs applied: ``{"families": [...], "emails": [(family, guardian)],
    "sms": [(family, guardian, e164)], "email_opt_out": n, "sms_opt_out": n}``. Two queries.

    E-mails go to each guardian with an address in families that accept e-mails; SMS to each guardian
    with a valid mobile number in families that accept SMS (a number shared by both guardians gets one SMS).
    """
    families = list(families.prefetch_related(
        Prefetch("guardians", queryset=Guardian.objects.order_by("rank"), to_attr="ordered_guardians")
    ))
    emails, sms = [], []
    for family in families:
        if family.allow_email:
            emails.extend((family, g) for g in family.ordered_guardians if g.email)
        if family.allow_sms:
            numbers = set()
            for guardian in family.ordered_guardians:
                number = mobile_to_e164(guardian.mobile_phone)
                if number and number not in numbers:
                    numbers.add(number)
                    sms.append((family, guardian, number))
    return {
        "families": families, "emails": emails, "sms": sms,
        "email_opt_out": sum(1 for f in families if not f.allow_email),
        "sms_opt_out": sum(1 for f in families if not f.allow_sms),
    }


def staff_mass_messages(*, limit=50):
    return list(MassMessage.objects.select_related("service", "author").order_by("-created_at", "-pk")[:limit])


def staff_sms(*, limit=200):
    return list(SmsMessage.objects.select_related("family", "mass_message").order_by("-created_at", "-pk")[:limit])
