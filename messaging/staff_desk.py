"""The messages section of the staff family page (families.staff_desk): the family's last conversations."""
from django.db.models import Count, Q

from families.staff_desk import register_section

from .models import Thread

ROWS = 10


@register_section
def messages_section(family, today):
    threads = list(
        Thread.objects.filter(family=family).select_related("service")
        .annotate(unread=Count("messages", filter=Q(messages__from_staff=False, messages__read_at__isnull=True)))
        .order_by("-last_message_at")[:ROWS]
    )
    return {"order": 40, "title": "Messages", "template": "messaging/_staff_family.html", "threads": threads, "rows": ROWS}
