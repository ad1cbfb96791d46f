"""Counter rows of the home page (families/counters.py): pending change requests (filled here, with the rule of
``families.selectors.pending_change_requests``), pending enrolment requests (enrolment.0011) and the account's
balance (billing.0005)."""
from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Family = apps.get_model("families", "Family")
    ChangeRequest = apps.get_model("families", "ChangeRequest")
    pending = (ChangeRequest.objects.filter(family=OuterRef("pk"), status="pending")
               .order_by().values("family").annotate(n=Count("pk")).values("n"))
    Family.objects.update(pending_change_requests=Coalesce(Subquery(pending), 0))


class Migration(migrations.Migration):

    dependencies = [
        ('families', '0009_family_unread_messages'),
    ]

    operations = [
        migrations.AddField(
            model_name='family',
            name='balance',
            field=models.DecimalField(decimal_places=2, default=0, editable=False, max_digits=12, verbose_name='solde du compte'),
        ),
        migrations.AddField(
            model_name='family',
            name='pending_change_requests',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='demandes de modification en attente'),
        ),
        migrations.AddField(
            model_name='family',
            name='pending_enrolments',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name="demandes d'inscription en attente"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
