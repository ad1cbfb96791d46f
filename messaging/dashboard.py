"""Navigation badge and home-page block of the messaging."""
from portal.dashboard import register_block
from portal.navigation import register_badge

from .selectors import family_unread_count


def unread_for_request(request):
    """The unread count, computed once per request (badge and home block share it)."""
    if not hasattr(request, "_unread_messages"):
        request._unread_messages = family_unread_count(family=request.family)
    return request._unread_messages


@register_badge
def unread_badge(request):
    return {"unread_messages": unread_for_request(request)}


@register_block
def unread_block(request):
    if not hasattr(request, "family"):
        return None
    return {"order": 30, "template": "messaging/_home_block.html", "unread": unread_for_request(request)}
