"""The family file's counter of the home page (registered in portal.dashboard, kept on the family's row by
families.counters.recount)."""
from django.urls import reverse

from portal.dashboard import register_counter
from portal.staff_home import WaitingWork, register_waiting

from .models import ChangeRequest

from .selectors import pending_change_requests


@register_counter("pending_change_requests", stored=True)
def _pending_change_requests(family, today):
    return pending_change_requests(family=family)


@register_waiting
def _change_requests_waiting(now):
    yield WaitingWork(
        label="Demandes de modification du dossier", order=10,
        count=ChangeRequest.objects.filter(status=ChangeRequest.Status.PENDING).count(),
        url=reverse("admin:families_changerequest_changelist") + f"?status__exact={ChangeRequest.Status.PENDING}",
    )
