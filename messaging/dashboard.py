"""Navigation badge and home-page block of the messaging."""
from portal.dashboard import family_counters, register_block, register_counter
from portal.navigation import register_badge

from .selectors import family_unread_messages


@register_counter("unread_messages")
def _unread_messages(family, today):
    return family_unread_messages(family=family)


@register_badge
def unread_badge(request):
    return family_counters(request, ["unread_messages"])


@register_block
def unread_block(request):
    if not hasattr(request, "family"):
        return None
    return {"order": 30, "template": "messaging/_home_block.html", "unread": family_counters(request)["unread_messages"]}
