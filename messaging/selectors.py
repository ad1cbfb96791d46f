"""Reads of the messaging, each in a bounded number of queries."""
from django.db.models import Count, Prefetch, Q
from django.http import Http404

from .models import Attachment, Message, Thread

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


def staff_threads(*, service_id=None, status=None, assigned=None, archived=False, user=None, family=None, limit=200):
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
    return list(qs.order_by("-last_message_at")[:limit])
