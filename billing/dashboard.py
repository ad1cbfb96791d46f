"""Home-page block: balance and unpaid invoices with their due dates (seed 002 « Opérations en cours »)."""
from django.utils import timezone

from families.counters import register_value
from portal.dashboard import register_block
from portal.models import Organisation

from .selectors import balance_expression, home_summary

register_value("balance", balance_expression)  # the home page reads the family's counter row


@register_block
def billing_block(request):
    family = getattr(request, "family", None)
    if family is None:
        return None
    org = getattr(request, "_organisation", None)
    if org is None:
        org = request._organisation = Organisation.current()
    summary = home_summary(family=family, user=request.user, organisation=org)
    return {"order": 30, "template": "billing/_home_block.html", "today": timezone.localdate(), **summary}
