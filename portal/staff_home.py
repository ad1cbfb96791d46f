"""The staff home (the admin index, ``templates/admin/index.html``): what waits for a decision, and
today's figures per site.

Core imports no app: each app registers, from its ``AppConfig.ready``,
- ``@register_waiting`` ``func(now) -> iterable of WaitingWork``: one count query per item, with the link to
  the admin list (or staff page) filtered to exactly what was counted;
- ``@register_today`` ``func(today) -> iterable of SiteFigures``: today's figures per site, in a bounded
  number of queries whatever the number of sites.
"""
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from .models import OutboundEmail

_waiting = []
_today = []


@dataclass(frozen=True)
class WaitingWork:
    label: str
    count: int
    url: str
    order: int = 100


@dataclass(frozen=True)
class SiteFigures:
    site: str
    expected: int
    absences: int
    places_left: int | None  # None: no limited capacity today


def register_waiting(func):
    _waiting.append(func)
    return func


def register_today(func):
    _today.append(func)
    return func


def staff_home(now=None):
    """Everything the staff home shows: ``{"waiting": [WaitingWork], "today": [SiteFigures], "day": date}``."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    waiting = [item for func in _waiting for item in func(now)]
    figures = [row for func in _today for row in func(today)]
    return {
        "waiting": sorted(waiting, key=lambda item: (item.order, item.label)),
        "today": sorted(figures, key=lambda row: row.site),
        "day": today,
    }


@register_waiting
def _failed_emails(now):
    yield WaitingWork(
        label="E-mails en échec", order=90,
        count=OutboundEmail.objects.filter(status=OutboundEmail.Status.FAILED).count(),
        url=reverse("admin:portal_outboundemail_changelist") + f"?status__exact={OutboundEmail.Status.FAILED}",
    )
