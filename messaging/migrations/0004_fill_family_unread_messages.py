"""Fill the families' counter row of unread messages (families.0008) from the messages already there, with the
rule of ``messaging.services.unread_recount``: messages from the service, unread, in threads the family has not
deleted."""
from django.db import migrations
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def fill(apps, schema_editor):
    Family = apps.get_model("families", "Family")
    Message = apps.get_model("messaging", "Message")
    unread = (Message.objects.filter(thread__family=OuterRef("pk"), thread__family_deleted_at__isnull=True,
                                     from_staff=True, read_at__isnull=True)
              .order_by().values("thread__family").annotate(n=Count("pk")).values("n"))
    Family.objects.update(unread_messages=Coalesce(Subquery(unread), 0))


class Migration(migrations.Migration):
    dependencies = [
        ("families", "0009_family_unread_messages"),
        ("messaging", "0003_mass_messages_and_sms"),
    ]

    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
