"""Loads the deterministic demo data: the ``populate(stdout=, rng=)`` each app registered in ``portal.demo``,
in their order.

Refuses to run against a database that already holds real (non-demo) families.
Running it twice is harmless: it loads nothing when demo families already exist.
"""
import random

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from portal import demo


class Command(BaseCommand):
    help = "Charge les données de démonstration (familles, activités, factures, messages, actualités)."

    def handle(self, *args, **options):
        present = demo.presence()
        if present == "real":
            raise CommandError(
                "La base contient de vraies familles : les données de démonstration ne sont chargées "
                "que dans une base vide ou de démonstration."
            )
        if present == "demo":
            self.stdout.write("Données de démonstration déjà présentes : rien à charger.")
        else:
            rng = random.Random(20250901)
            # Demo e-mails land in the outbox (visible in the admin) without flooding the console.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
                for _name, populate in demo.steps():
                    populate(stdout=self.stdout, rng=rng)
        self.stdout.write("")
        self.stdout.write("Portail : http://127.0.0.1:8000/")
        demo.print_logins(self.stdout)
