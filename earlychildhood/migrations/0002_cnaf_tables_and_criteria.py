"""Seed the CNAF tables in force and the default published criteria (staff edit them in the admin).

Effort rates (accueil collectif, « taux de participation familiale par heure facturée »): Cnaf circulaire
2019-005 du 5 juin 2019, last step applicable from 1 January 2022 and unchanged since (0,0619 % for one
child … 0,0206 % from eight), as lespetitescanailles.fr/faq/calculer-tarif-place-en-creche lists them.
Ceiling (plafond) of monthly resources: 6 000 € from 2022 (circulaire 2019-005), 7 000 € from 1 September
2024 (caf45-partenaires.fr, « EAJE PSU – Évolution du montant plafond … au 1er septembre 2024 »),
8 500 € from 1 September 2025 (caf.fr, « Le plafond de ressources mensuelles en hausse pour les EAJE au
1er septembre 2025 »). Floor (plancher), published each January by the Cnaf: 765,77 € for 2024, 801,00 €
for 2025 (the Cnaf's yearly notice to managers; check and add the new year's floor in the admin).
"""
import datetime
from decimal import Decimal

from django.db import migrations

RATES = [(1, 1, "0.0619"), (2, 2, "0.0516"), (3, 3, "0.0413"), (4, 7, "0.0310"), (8, None, "0.0206")]
RATE_SOURCE = "Cnaf, circulaire 2019-005 (barème au 1er janvier 2022)"
BOUNDS = [
    ("ceiling", datetime.date(2022, 1, 1), "6000.00", "Cnaf, circulaire 2019-005"),
    ("ceiling", datetime.date(2024, 9, 1), "7000.00", "Cnaf, relèvement du plafond au 1er septembre 2024"),
    ("ceiling", datetime.date(2025, 9, 1), "8500.00", "Cnaf, relèvement du plafond au 1er septembre 2025"),
    ("floor", datetime.date(2024, 1, 1), "765.77", "Cnaf, plancher 2024"),
    ("floor", datetime.date(2025, 1, 1), "801.00", "Cnaf, plancher 2025"),
]
CRITERIA = [
    ("working", "Parents qui travaillent ou suivent une formation", 30, 10, False),
    ("single_parent", "Parent seul", 25, 20, False),
    ("disability", "Handicap d'un enfant ou d'un parent", 30, 30, True),
    ("sibling", "Frère ou sœur déjà accueilli(e) dans la crèche", 15, 40, False),
    ("resident", "Domicile dans une commune membre", 20, 50, False),
]


def seed(apps, schema_editor):
    EffortRate = apps.get_model("earlychildhood", "EffortRate")
    ResourceBound = apps.get_model("earlychildhood", "ResourceBound")
    Criterion = apps.get_model("earlychildhood", "Criterion")
    for lo, hi, rate in RATES:
        EffortRate.objects.get_or_create(valid_from=datetime.date(2022, 1, 1), children_min=lo, defaults={
            "children_max": hi, "rate_percent": Decimal(rate), "source": RATE_SOURCE})
    for kind, day, amount, source in BOUNDS:
        ResourceBound.objects.get_or_create(kind=kind, valid_from=day, defaults={"amount": Decimal(amount), "source": source})
    for code, label, weight, order, health in CRITERIA:
        Criterion.objects.get_or_create(code=code, defaults={"label": label, "weight": weight, "order": order,
                                                             "is_health": health})


class Migration(migrations.Migration):
    dependencies = [("earlychildhood", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
