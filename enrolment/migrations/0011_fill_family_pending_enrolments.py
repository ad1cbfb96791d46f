"""Fill the families' counter row of pending enrolment requests (families.0010) with the rule of
``enrolment.selectors.pending_enrolments``."""
from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Family = apps.get_model("families", "Family")
    Enrolment = apps.get_model("enrolment", "Enrolment")
    pending = (Enrolment.objects.filter(child__family=OuterRef("pk"), status="pending")
               .order_by().values("child__family").annotate(n=Count("pk")).values("n"))
    Family.objects.update(pending_enrolments=Coalesce(Subquery(pending), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0010_family_counter_rows"),
        ("enrolment", "0010_booking_excuse_decision"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
