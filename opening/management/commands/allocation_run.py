"""Re-run a phase's allocation from its published seed and print the figures and the digest.

    manage.py allocation_run PHASE_ID            # a dry run: nothing booked (safe on production or a copy)
    manage.py allocation_run PHASE_ID --publish  # the publication (idempotent), as « Publier » does

Run on a copy of the database taken before publication, the dry run gives the digest the publication
recorded (AllocationRun.digest, in the audit log too): anyone can check that the allocation followed the
published rules and draw.
"""
from django.core.management.base import BaseCommand, CommandError

from opening.models import RequestPhase
from opening.services import allocation_dry_run, allocation_publish
from portal.errors import DomainError


class Command(BaseCommand):
    help = "Re-run (or publish) a request phase's allocation and print its figures and digest."

    def add_arguments(self, parser):
        parser.add_argument("phase_id", type=int)
        parser.add_argument("--publish", action="store_true")

    def handle(self, *args, phase_id, publish, **options):
        phase = RequestPhase.objects.select_related("window__activity").filter(pk=phase_id).first()
        if phase is None:
            raise CommandError(f"Phase de demandes {phase_id} introuvable.")
        try:
            run = allocation_publish(phase=phase) if publish else allocation_dry_run(phase=phase)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        s = run.summary
        self.stdout.write(f"{run.get_kind_display()} – {phase.window} – graine {run.seed}")
        self.stdout.write(f"{s['families']} famille(s), {s['requests']} demande(s) : {s['granted']} attribuée(s), "
                          f"{s['refused']} en liste d'attente, {s['already']} déjà réservée(s) ({run.duration_ms} ms).")
        for row in run.figures:
            shares = ", ".join(f"{code} {n}" for code, n in row["by_criterion"].items() if n)
            places = "illimitées" if row["places"] is None else row["places"]
            self.stdout.write(f"  {row['day']} unité {row['unit_id']} : {row['demand']} demande(s), {places} place(s), "
                              f"{row['granted']} attribuée(s) [{shares}]")
        self.stdout.write(f"Empreinte (SHA-256) : {run.digest}")
