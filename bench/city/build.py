"""Generate the whole city in one transaction: families, catalogue, enrolments and bookings, invoices,
messages and documents, in this order (each step draws from the one random generator, so the order
is part of what a seed means)."""
import sys
import time

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from families import counters
from families.models import Family

from . import billing, catalogue, documents, enrolment, messaging
from . import families as families_step  # ``families`` is build()'s count of families
from .bulk import move_sequences
from .shared import CITY_PASSWORD, NUMBER_PREFIX, CityError, Run, city_email

ANALYZED = ("enrolment_booking", "enrolment_occupancy", "billing_invoice", "billing_invoiceline",
            "enrolment_enrolment", "families_child", "families_family", "families_guardian")


def build(*, families, seed, today=None, out=None, force=False):
    """Generate a city of ``families`` families from ``seed`` around ``today`` (default: today);
    progress lines and the final table go to ``out`` (default: standard output). Returns the counts.

    Refuses (CityError) anything but PostgreSQL, a database that already holds a city, and one holding
    real families unless ``force``."""
    if connection.vendor != "postgresql":
        raise CityError("city_data charge les données par COPY : il faut PostgreSQL (DATABASE_URL).")
    if Family.objects.filter(number__startswith=NUMBER_PREFIX, is_demo=True).exists():
        raise CityError("Cette base contient déjà une ville générée : utilisez une base neuve.")
    if Family.objects.filter(is_demo=False).exists() and not force:
        raise CityError("La base contient de vraies familles : city_data ne s'y charge qu'avec --force.")
    if families < 1:
        raise CityError("--families doit être au moins 1.")
    run = Run(seed=seed, today=today or timezone.localdate(), out=out or sys.stdout)
    sites = max(1, round(families / 1000))  # one school site per 1,000 families
    with transaction.atomic():
        with connection.cursor() as cur:
            run.cur = cur.cursor  # the psycopg cursor, for COPY
            # Bulk load: the rows are consistent by construction, so the foreign-key triggers are
            # skipped for this transaction only (unique and check constraints still apply). Needs
            # a superuser; without one the load keeps the checks and is only slower.
            try:
                with transaction.atomic():
                    cur.execute("SET LOCAL session_replication_role = replica")
            except DatabaseError:
                run.write("(clés étrangères vérifiées ligne à ligne : pas de droits superutilisateur)")
            city_families, children = families_step.generate(run, families, sites)
            cat = catalogue.generate(run, sites)
            billable = enrolment.generate(run, children, cat)
            billing.generate(run, city_families, cat, billable)
            messaging.generate(run, city_families)
            documents.generate(run, city_families)
            run.log(f"conversations : {run.counts['conversations']}, messages : {run.counts['messages']}, "
                    f"documents : {run.counts['documents']}")
            move_sequences(run.cur, families_step.COPIED + enrolment.COPIED + billing.COPIED + messaging.COPIED
                           + documents.COPIED)
            # The families' counter rows (unread messages, pending requests, balance), each with its rule.
            counters.recount(counters.fields(), [f["id"] for f in city_families])
    with connection.cursor() as cur:
        for table in ANALYZED:
            cur.execute(f"ANALYZE {table}")
    _report(run, families)
    return run.counts


def _report(run, n):
    run.write()
    run.write("Ville générée :")
    for name, count in run.counts.items():
        run.write(f"  {name:28} {count:>10,}".replace(",", " "))
    run.write(f"Durée : {time.monotonic() - run.t0:.1f} s")
    run.write(f"Connexion : {city_email(0, 1)} … {city_email(n - 1, 1)} / mot de passe {CITY_PASSWORD}")
