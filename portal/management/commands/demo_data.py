"""Loads the deterministic demo data: each app's ``demo.populate(stdout=...)``, in dependency order.

Refuses to run against a database that already holds real (non-demo) families.
Running it twice is harmless: it loads nothing when demo families already exist.
"""
import importlib
import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

DEMO_APPS = ["families", "enrolment", "billing", "messaging", "news"]


class Command(BaseCommand):
    help = "Charge les données de démonstration (familles, activités, factures, messages, actualités)."

    def handle(self, *args, **options):
        from families.models import Family

        if Family.objects.filter(is_demo=False).exists():
            raise CommandError(
                "La base contient de vraies familles : les données de démonstration ne sont chargées "
                "que dans une base vide ou de démonstration."
            )
        if Family.objects.filter(is_demo=True).exists():
            self.stdout.write("Données de démonstration déjà présentes : rien à charger.")
        else:
            rng = random.Random(20250901)
            # Demo e-mails land in the outbox (visible in the admin) without flooding the console.
            with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
                for app in DEMO_APPS:
                    try:
                        module = importlib.import_module(f"{app}.demo")
                    except ModuleNotFoundError as exc:
                        if exc.name != f"{app}.demo":
                            raise
                        continue
                    module.populate(stdout=self.stdout, rng=rng)
        self._print_logins()

    def _print_logins(self):
        from families.models import Guardian

        guardian = Guardian.objects.filter(family__is_demo=True, user__isnull=False).order_by("family__number", "rank").first()
        self.stdout.write("")
        self.stdout.write("Portail : http://127.0.0.1:8000/")
        if guardian:
            self.stdout.write(f"Parent de démonstration : {guardian.user.email} / {settings.DEMO_PASSWORD}")
            self.stdout.write("(tout responsable de démonstration ayant un e-mail se connecte avec ce même mot de passe)")
        self.stdout.write(f"Agent (administration) : http://127.0.0.1:8000/admin/  agent@demo.portail.example / {settings.DEMO_PASSWORD}")
