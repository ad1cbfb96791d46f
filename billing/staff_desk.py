"""The billing section of the staff family page (families.staff_desk): balance, last invoices, last payments."""
from django.db.models import F

from families.staff_desk import register_section

from .models import Invoice, Payment
from .selectors import family_balance

ROWS = 10


@register_section
def billing_section(family, today):
    invoices = list(
        Invoice.objects.for_family(family).select_related("regie").order_by("-issued_on", "-number")[:ROWS]
    )
    payments = list(Payment.objects.for_family(family).select_related("regie").order_by("-received_on", "-pk")[:ROWS])
    unpaid = Invoice.objects.for_family(family).filter(status=Invoice.Status.DUE).exclude(
        total=F("paid_amount") + F("credited_amount")
    )
    return {
        "order": 30, "title": "Factures et règlements", "template": "billing/_staff_family.html",
        "balance": family_balance(family=family), "invoices": invoices, "payments": payments, "today": today,
        "overdue_count": unpaid.filter(due_on__lt=today).count(), "rows": ROWS,
    }
