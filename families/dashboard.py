"""The family file's counter shared by the home page and the navigation (registered in portal.dashboard)."""
from portal.dashboard import register_counter

from .selectors import pending_change_requests


@register_counter("pending_change_requests")
def _pending_change_requests(family, today):
    return pending_change_requests(family=family)
