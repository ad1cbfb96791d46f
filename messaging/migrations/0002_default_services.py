from django.db import migrations

SERVICES = [
    "ALAE – Restauration",
    "Centres de loisirs",
    "Crèche – Petite enfance",
    "Données du dossier famille",
    "PAI – Allergie – MDPH",
    "Règlement – Facture",
    "Scolarité",
]


def create_services(apps, schema_editor):
    Service = apps.get_model("messaging", "Service")
    for order, name in enumerate(SERVICES, start=1):
        Service.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]

    operations = [migrations.RunPython(create_services, migrations.RunPython.noop)]
