"""The home-page block of the documents area: documents to provide and the renewal status."""
from django.urls import reverse

from portal.dashboard import register_block
from portal.staff_home import WaitingWork, register_waiting

from .models import FamilyDocument

from . import selectors


@register_block
def documents_block(request):
    if not hasattr(request, "family"):
        return None
    return {
        "order": 40, "template": "documents/_home_block.html",
        "to_provide": selectors.documents_to_provide(family=request.family),
        "renewal": selectors.family_renewal_status(family=request.family),
    }


@register_waiting
def _documents_waiting(now):
    yield WaitingWork(
        label="Documents à examiner", order=40,
        count=FamilyDocument.objects.filter(status=FamilyDocument.Status.RECEIVED).count(),
        url=reverse("admin:documents_familydocument_changelist") + f"?status__exact={FamilyDocument.Status.RECEIVED}",
    )
