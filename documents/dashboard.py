"""The home-page block of the documents area: documents to provide and the renewal status."""
from portal.dashboard import register_block

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
