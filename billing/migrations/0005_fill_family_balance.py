"""Fill the families' counter row of the account's balance (families.0010) with the rule of
``billing.selectors.family_balance`` for a reader who sees all of the family's invoices: invoices − credit notes
− payments."""
from decimal import Decimal

from django.db import migrations
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

AMOUNT = DecimalField(max_digits=12, decimal_places=2)


def _total(model, amount):
    rows = model.objects.filter(family=OuterRef("pk")).order_by().values("family").annotate(t=Sum(amount)).values("t")
    return Coalesce(Subquery(rows, output_field=AMOUNT), Value(Decimal("0.00")), output_field=AMOUNT)


def fill(apps, schema_editor):
    Family = apps.get_model("families", "Family")
    Invoice, CreditNote, Payment = (apps.get_model("billing", name) for name in ("Invoice", "CreditNote", "Payment"))
    Family.objects.update(balance=_total(Invoice, "total") - _total(CreditNote, "amount") - _total(Payment, "amount"))


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0010_family_counter_rows"),
        ("billing", "0004_online_payment_several_invoices"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
