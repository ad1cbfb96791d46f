"""City-scale data for benchmarks: ``manage.py city_data --families 10000 --seed 42``.

Builds, reproducibly from a seed (and the reference day, ``--today``), a city of N families with
1.5 N children, the seed-003 catalogue for one school site per 1,000 families over two seasons (the
previous school year, complete, and the current one), validated enrolments, bookings in realistic
patterns (regular ALAE and restauration days, Wednesdays, holiday weeks, cancellations, absences),
Occupancy counters equal to the bookings that hold a place, monthly invoices with their lines,
payments, message threads and family documents.

Everything big goes through PostgreSQL COPY (psycopg 3 ``cursor.copy``) in one transaction; the
catalogue (a few hundred rows) goes through the ORM. Every city family has ``is_demo=True`` and a
number starting with "V"; every city guardian logs in with ``CITY_PASSWORD`` (one precomputed hash).
Separate from ``demo_data``: it refuses a database holding real families unless ``--force``.
"""
import datetime
import random
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

CITY_PASSWORD = "Ville-Portail-2026"
CITY_EMAIL_DOMAIN = "ville.portail.example"
NUMBER_PREFIX = "V"
PARIS = datetime.timezone.utc  # replaced in handle() by the project's Paris zone


def city_email(family_index, rank):
    """The login of guardian ``rank`` of the ``family_index``-th city family (0-based)."""
    return f"parent{family_index:05d}.{rank}@{CITY_EMAIL_DOMAIN}"


SURNAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau", "Laurent",
    "Simon", "Michel", "Lefèvre", "Leroy", "Roux", "David", "Bertrand", "Morel", "Fournier", "Girard",
    "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent", "Muller", "Faure", "André", "Mercier",
    "Blanc", "Guérin", "Boyer", "Garnier", "Chevalier", "François", "Legrand", "Gauthier", "Garcia", "Perrin",
    "Robin", "Clément", "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand",
]
MEN = ["Julien", "Nicolas", "Sébastien", "Thomas", "Mathieu", "Romain", "Guillaume", "Jérôme", "Olivier", "Cédric",
       "Yannick", "Franck", "Benoît", "Damien", "Laurent", "Karim", "Mehdi", "Antoine", "Vincent", "Pierre"]
WOMEN = ["Claire", "Aurélie", "Émilie", "Julie", "Céline", "Sandrine", "Marion", "Stéphanie", "Élodie", "Virginie",
         "Laure", "Nathalie", "Sophie", "Audrey", "Mélanie", "Nadia", "Sarah", "Camille", "Anne", "Hélène"]
GIRLS = ["Léa", "Chloé", "Emma", "Jade", "Louise", "Inès", "Manon", "Zoé", "Lina", "Camille", "Alice", "Rose",
         "Anna", "Jeanne", "Mila", "Ambre", "Lou", "Nina"]
BOYS = ["Hugo", "Lucas", "Nathan", "Louis", "Gabriel", "Arthur", "Jules", "Raphaël", "Tom", "Noah", "Léo", "Adam",
        "Paul", "Sacha", "Maël", "Liam", "Ethan", "Aaron"]
STREETS = ["rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "place de la Mairie", "rue Pasteur",
           "boulevard Gambetta", "impasse des Lilas", "rue des Écoles", "allée des Tilleuls", "chemin du Moulin"]
SCHOOL_NAMES = ["Jules Ferry", "Jean Moulin", "Louise Michel", "Victor Hugo", "Pasteur", "Marie Curie",
                "Jean Jaurès", "Paul Bert", "Jacques Prévert", "Anatole France", "Condorcet", "Simone Veil"]
LEVELS_BY_AGE = {3: "PS", 4: "MS", 5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2"}
MATERNELLE = ("TPS", "PS", "MS", "GS")
ALLERGIES = [""] * 12 + ["Arachides", "Lactose", "Œufs", "Kiwi", "Fruits à coque", "Gluten"]
MESSAGE_SUBJECTS = [
    ("information", "Horaires de l'ALAE du soir", "Bonjour, à quelle heure ferme l'ALAE du soir le vendredi ?"),
    ("change", "Changement de jours de cantine", "Bonjour, à partir du mois prochain notre fille mangera aussi le mardi."),
    ("information", "Menu de la semaine", "Bonjour, où trouver les menus du mois ?"),
    ("complaint", "Facture du mois dernier", "Bonjour, une absence avec certificat médical a été facturée."),
    ("change", "Nouvelle adresse", "Bonjour, nous avons déménagé, voici notre justificatif de domicile."),
    ("information", "Sortie du mercredi", "Bonjour, faut-il prévoir un pique-nique pour la sortie de mercredi ?"),
]
STAFF_ANSWERS = [
    "Bonjour, c'est bien noté. Bonne journée.",
    "Bonjour, la modification est faite, elle apparaît dans votre planning.",
    "Bonjour, les menus sont dans l'onglet Actualités. Cordialement.",
    "Bonjour, l'absence a été excusée : un avoir sera établi sur la prochaine facture.",
]
PAYMENT_MODES = [("online", 45), ("direct_debit", 20), ("cheque", 15), ("transfer", 10), ("cash", 5), ("cesu", 5)]

# Tariffs: (label, brackets [(QF up to, price)...] with None = above) or a flat price (Decimal).
QF_BOUNDS = (Decimal("600"), Decimal("900"), Decimal("1200"), None)


def _brackets(*prices):
    return [(bound, Decimal(p)) for bound, p in zip(QF_BOUNDS, prices)]


class Copier:
    """COPY rows of one model: explicit columns, every other column from the field's default."""

    def __init__(self, cursor, model, columns, now):
        self.cursor, self.model = cursor, model
        fields = {f.attname: f for f in model._meta.concrete_fields}
        self.columns = list(columns)
        missing = [f for name, f in fields.items() if name not in self.columns and not f.primary_key]
        extra = []
        for f in missing:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value = now if isinstance(f, models.DateTimeField) else now.date()
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif f.empty_strings_allowed and f.blank:
                value = ""
            else:
                raise CommandError(f"{model.__name__}.{f.attname}: no value for a required column.")
            if isinstance(f, models.JSONField):
                import json
                value = json.dumps(value)
            self.columns.append(f.attname)
            extra.append(value)
        self.extra = tuple(extra)
        self.count = 0

    def __enter__(self):
        cols = ", ".join(f'"{c}"' for c in self.columns)
        self._ctx = self.cursor.copy(f'COPY "{self.model._meta.db_table}" ({cols}) FROM STDIN')
        self.copy = self._ctx.__enter__()
        return self

    def row(self, *values):
        self.copy.write_row(values + self.extra)
        self.count += 1

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


class Ids:
    """Primary keys allocated in Python (the sequences are moved past them at the end)."""

    def __init__(self, cursor, model):
        self.table = model._meta.db_table
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.table}"')
        self.last = cursor.fetchone()[0]

    def next(self):
        self.last += 1
        return self.last


def month_iter(start, end):
    day = start.replace(day=1)
    while day <= end:
        yield day
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_end(first):
    return (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


class Command(BaseCommand):
    help = "Génère une ville (familles, catalogue, réservations, factures…) pour les mesures de charge."

    def add_arguments(self, parser):
        parser.add_argument("--families", type=int, default=10000)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--today", type=datetime.date.fromisoformat, default=None,
                            help="Jour de référence (AAAA-MM-JJ) ; par défaut aujourd'hui.")
        parser.add_argument("--force", action="store_true",
                            help="Accepter une base contenant déjà des familles réelles.")

    # ------------------------------------------------------------------ entry point
    def handle(self, *args, **opts):
        from enrolment import rules

        global PARIS
        PARIS = rules.PARIS
        if connection.vendor != "postgresql":
            raise CommandError("city_data charge les données par COPY : il faut PostgreSQL (DATABASE_URL).")
        from families.models import Family

        if Family.objects.filter(number__startswith=NUMBER_PREFIX, is_demo=True).exists():
            raise CommandError("Cette base contient déjà une ville générée : utilisez une base neuve.")
        if Family.objects.filter(is_demo=False).exists() and not opts["force"]:
            raise CommandError("La base contient de vraies familles : city_data ne s'y charge qu'avec --force.")
        n = opts["families"]
        if n < 1:
            raise CommandError("--families doit être au moins 1.")
        self.rng = random.Random(opts["seed"])
        self.today = opts["today"] or timezone.localdate()
        # Bookings of the previous season are kept from the first month of the invoiced year on.
        self.history_start = (self.today.replace(day=1) - datetime.timedelta(days=365)).replace(day=1)
        self.now = datetime.datetime.combine(self.today, datetime.time(7, 0), tzinfo=PARIS)
        self.t0 = time.monotonic()
        self.counts = {}
        with transaction.atomic():
            with connection.cursor() as cur:
                self.cur = cur.cursor  # the psycopg cursor, for COPY
                # Bulk load: the rows are consistent by construction, so the foreign-key triggers are
                # skipped for this transaction only (unique and check constraints still apply). Needs
                # a superuser; without one the load keeps the checks and is only slower.
                try:
                    with transaction.atomic():
                        cur.execute("SET LOCAL session_replication_role = replica")
                except DatabaseError:
                    self.stdout.write("(clés étrangères vérifiées ligne à ligne : pas de droits superutilisateur)")
                self._families(n)
                self._catalogue(n)
                self._enrolments_and_bookings()
                self._invoices()
                self._messages_and_documents()
                self._move_sequences()
        with connection.cursor() as cur:
            for table in ("enrolment_booking", "enrolment_occupancy", "billing_invoice", "billing_invoiceline",
                          "enrolment_enrolment", "families_child", "families_family", "families_guardian"):
                cur.execute(f"ANALYZE {table}")
        self._report()

    def log(self, what):
        self.stdout.write(f"[{time.monotonic() - self.t0:7.1f} s] {what}")

    # ------------------------------------------------------------------ families
    def _families(self, n):
        from families.models import Child, ChildHealth, Family, Guardian

        User = get_user_model()
        rng, now = self.rng, self.now
        password = make_password(CITY_PASSWORD)
        fam_ids, user_ids, g_ids, c_ids = (Ids(self.cur, m) for m in (Family, User, Guardian, Child))
        # 1.5 children per family exactly: every family one, 42 % a second, 8 % a third.
        order = list(range(n))
        rng.shuffle(order)
        n_children = [1] * n
        seconds = order[: round(n * 0.42)]
        for i in seconds:
            n_children[i] = 2
        for i in seconds[: round(n * 0.08)]:
            n_children[i] = 3
        self.n_sites = max(1, round(n / 1000))
        self.school_year = self.today.year if self.today.month >= 9 else self.today.year - 1
        self.families, self.children = [], []
        fam = Copier(self.cur, Family, ["id", "number", "name", "situation", "address_line1", "postcode", "city",
                                        "benefit_regime", "benefit_number", "quotient", "quotient_valid_from",
                                        "quotient_valid_until", "allow_email", "is_demo", "created_at",
                                        "updated_at"], now)
        qf_from = datetime.date(self.school_year - 1, 9, 1)
        qf_until = datetime.date(self.school_year + 1, 8, 31)
        with fam:
            for i in range(n):
                fid = fam_ids.next()
                surname = SURNAMES[i % len(SURNAMES)] if i < len(SURNAMES) else rng.choice(SURNAMES)
                has_qf = rng.random() < 0.9
                quotient = Decimal(rng.randrange(300, 2600, 5)) if has_qf else None
                site = i % self.n_sites
                address = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"
                fam.row(fid, f"{NUMBER_PREFIX}{i + 1:07d}", surname.upper(),
                        rng.choice(["married", "married", "pacs", "cohabiting", "separated", "single"]),
                        address, "75000", "Ville-sur-Benchmark",
                        "caf", f"{rng.randint(1000000, 9999999)}", quotient, qf_from if has_qf else None,
                        qf_until if has_qf else None, True, True, now, now)
                self.families.append({"id": fid, "index": i, "name": surname.upper(), "site": site,
                                      "address": f"{address}\n75000 Ville-sur-Benchmark",
                                      "quotient": quotient, "children": [], "guardians": []})
        users = Copier(self.cur, User, ["id", "username", "email", "password", "first_name", "last_name",
                                        "is_active", "is_staff", "is_superuser", "date_joined"], now)
        guardians = Copier(self.cur, Guardian, ["id", "family_id", "rank", "user_id", "civility", "last_name",
                                                "first_name", "relationship", "email", "mobile_phone",
                                                "created_at", "updated_at"], now)
        with users:
            user_rows = []
            for f in self.families:
                people = [("Mme", rng.choice(WOMEN), "mother"), ("M.", rng.choice(MEN), "father")]
                if rng.random() < 0.5:
                    people.reverse()
                if rng.random() < 0.15:
                    people = people[:1]
                for rank, (civility, first, rel) in enumerate(people, start=1):
                    email = city_email(f["index"], rank)
                    uid = user_ids.next() if (rank == 1 or rng.random() < 0.7) else None
                    if uid:
                        users.row(uid, email, email, password, first, f["name"].title(), True, False, False, now)
                    gid = g_ids.next()
                    f["guardians"].append({"id": gid, "rank": rank, "user_id": uid, "email": email,
                                           "name": f"{first} {f['name']}"})
                    user_rows.append((gid, f["id"], rank, uid, civility, f["name"], first, rel, email,
                                      f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                                      f"{rng.randint(10, 99)}", now, now))
        with guardians:
            for row in user_rows:
                guardians.row(*row)
        children = Copier(self.cur, Child, ["id", "family_id", "first_name", "last_name", "birth_date", "sex",
                                            "school", "school_level", "image_rights", "is_active", "created_at",
                                            "updated_at"], now)
        health = Copier(self.cur, ChildHealth, ["child_id", "allergies", "diet", "pai", "doctor_name",
                                                "created_at", "updated_at"], now)
        with children:
            health_rows = []
            for f, k in zip(self.families, n_children):
                site = f["site"]
                for _ in range(k):
                    cid = c_ids.next()
                    age = rng.randint(3, 10)
                    girl = rng.random() < 0.5
                    birth = datetime.date(self.school_year - age, rng.randint(1, 12), rng.randint(1, 28))
                    level = LEVELS_BY_AGE[age]
                    first = rng.choice(GIRLS if girl else BOYS)
                    children.row(cid, f["id"], first, f["name"], birth, "F" if girl else "M",
                                 f"École {SCHOOL_NAMES[site % len(SCHOOL_NAMES)]}", level, rng.random() < 0.8,
                                 True, now, now)
                    child = {"id": cid, "family": f, "first_name": first, "age": age, "site": site,
                             "label": f"{first} {f['name'].upper()}"}
                    f["children"].append(child)
                    self.children.append(child)
                    allergy = rng.choice(ALLERGIES)
                    health_rows.append((cid, allergy, "standard", allergy in ("Arachides", "Fruits à coque"),
                                        "Dr Martin", now, now))
        with health:
            for row in health_rows:
                health.row(*row)
        self.counts.update({"familles": fam.count, "comptes parents": users.count, "responsables": guardians.count,
                            "enfants": children.count})
        self.log(f"familles : {fam.count}, responsables : {guardians.count}, enfants : {children.count}")

    # ------------------------------------------------------------------ catalogue
    def _catalogue(self, n):
        """The seed-003 catalogue, per school site, for the previous and the current season."""
        from billing.models import NumberSequence, Regie, Tariff, TariffBracket  # noqa: F401
        from enrolment import rules
        from enrolment.models import (
            Activity, ActivityType, BookingWindow, CapacityOverride, ClosureDay, Group, OpeningPeriod,
            SchoolHoliday, Structure, Unit,
        )
        from enrolment.services.calendar import school_holiday_periods
        from portal.models import Organisation

        zone = Organisation.current().school_zone
        years = [self.school_year - 1, self.school_year, self.school_year + 1, self.school_year + 2]
        periods = school_holiday_periods(zone=zone, years=years)
        existing = set(SchoolHoliday.objects.values_list("start_date", "end_date"))
        for name, start, end in periods:
            if (start, end) not in existing:
                SchoolHoliday.objects.create(name=name, start_date=start, end_date=end)
        self.holidays = [(s, e) for _, s, e in periods]
        named = [(name, s, e) for name, s, e in periods]

        self.regie_peri = Regie.objects.create(
            name="Régie Ville – Périscolaire et loisirs", prefix="VPL",
            address="Hôtel de ville\nPlace de la Mairie\n75000 Ville-sur-Benchmark", due_days=30,
            cheque_payee="Régie périscolaire de la Ville", cash_desk="Accueil de la mairie, du lundi au vendredi 8 h 30 – 17 h",
            payment_provider="payfip_ws", payfip_numcli="012345", payfip_mode="W",
        )
        self.regie_resto = Regie.objects.create(
            name="Régie Ville – Restauration scolaire", prefix="VRS",
            address="Hôtel de ville\nPlace de la Mairie\n75000 Ville-sur-Benchmark", due_days=30,
            cheque_payee="Régie restauration de la Ville", cash_desk="Accueil de la mairie",
            childcare_certificate=False, payment_provider="payfip_ws", payfip_numcli="012346", payfip_mode="W",
        )
        self.activities = []  # dicts with everything the generator needs
        self.units = {}
        self.groups = {}
        sites = self.n_sites
        for season_year in (self.school_year - 1, self.school_year):
            season = f"{season_year}/{season_year + 1}"
            start = datetime.date(season_year, 9, 1)
            school_end = next((s for name, s, e in named if "été" in name.lower() and s.year == season_year + 1),
                              datetime.date(season_year + 1, 7, 4)) - datetime.timedelta(days=1)
            summer_end = datetime.date(season_year + 1, 8, 31)
            for site in range(sites):
                school = SCHOOL_NAMES[site % len(SCHOOL_NAMES)]
                peri, _ = Structure.objects.get_or_create(name=f"Périscolaire – École {school}",
                                                          defaults={"kind": "periscolaire"})
                resto, _ = Structure.objects.get_or_create(name=f"Restauration – École {school}",
                                                           defaults={"kind": "catering"})
                leisure, _ = Structure.objects.get_or_create(name=f"Accueil de loisirs {school}",
                                                             defaults={"kind": "leisure"})
                if season_year == self.school_year - 1:
                    self.regie_peri.structures.add(peri, leisure)
                    self.regie_resto.structures.add(resto)
                types = {}
                for key, structure, name, kind in (
                    ("alae", peri, "ALAE", "alae"), ("garderie", peri, "Garderie", "garderie"),
                    ("resto", resto, "Restauration", "catering"), ("cl", leisure, "Centre de loisirs", "cl"),
                    ("bus", leisure, "Transport", "transport"),
                ):
                    types[key], _ = ActivityType.objects.get_or_create(structure=structure, name=name,
                                                                       defaults={"kind": kind})
                school_days = {0, 1, 3, 4}
                spec = [
                    # key, type, name, weekdays, units[(code, name, start, end, capacity, regular, price)], extra
                    ("alae_matin", "alae", "ALAE Matin", school_days,
                     [("MAT", "Matin", (7, 30), (8, 20), 450, True, _brackets("0.60", "0.90", "1.20", "1.50"))], {}),
                    ("alae_soir1", "alae", "ALAE Soir 1", school_days,
                     [("SO1", "Soir jusqu'à 17 h 30", (16, 30), (17, 30), 600, True,
                       _brackets("0.90", "1.30", "1.70", "2.10"))], {}),
                    ("alae_soir2", "alae", "ALAE Soir 2", school_days,
                     [("SO2", "Soir jusqu'à 18 h 30", (16, 30), (18, 30), 250, True,
                       _brackets("1.40", "1.90", "2.50", "3.10"))], {}),
                    ("garderie", "garderie", "Garderie Mercredi Scolaire", {2},
                     [("GAR", "Garderie 11 h 30 – 12 h 30", (11, 30), (12, 30), 120, False, Decimal("1.00"))], {}),
                    ("resto", "resto", "Restauration Élémentaire et maternelle", school_days,
                     [("REP", "Repas", (11, 30), (13, 30), 1200, True, _brackets("1.20", "2.40", "3.30", "4.10"))],
                     {}),
                    ("cl_mat", "cl", "CL Maternel Mercredis", {2},
                     [("APR", "Après-midi avec repas", (11, 30), (18, 30), 40, False,
                       _brackets("5.20", "7.80", "10.40", "13.00")),
                      ("APS", "Après-midi sans repas", (13, 30), (18, 30), 16, False,
                       _brackets("3.10", "4.20", "5.20", "6.50"))], {"stage": "maternelle"}),
                    ("cl_elem", "cl", "CL Élémentaire Mercredis", {2},
                     [("APR", "Après-midi avec repas", (11, 30), (18, 30), 80, False,
                       _brackets("5.20", "7.80", "10.40", "13.00")),
                      ("APS", "Après-midi sans repas", (13, 30), (18, 30), 24, False,
                       _brackets("3.10", "4.20", "5.20", "6.50"))], {"stage": "elementaire"}),
                    ("bus_mer", "bus", "Mercredi bus CL", {2},
                     [("BUS", "Transport aller-retour", (11, 20), (18, 45), 50, False, Decimal("1.00"))], {}),
                ]
                for hname, hs, he in named:
                    if not (start <= hs <= summer_end):
                        continue
                    label = {"toussaint": "Automne", "noël": "Noël", "hiver": "Hiver", "printemps": "Printemps",
                             "été": "Été"}
                    short = next((v for k, v in label.items() if k in hname.lower()), None)
                    if short is None:
                        continue
                    hend = min(he, summer_end)
                    spec.append((f"clv_{short}", "cl", f"CLV Élémentaire ou maternel {short}", {0, 1, 2, 3, 4},
                                 [("JOU", "Journée", (8, 30), (17, 30), 120, False,
                                   _brackets("6.00", "9.00", "12.00", "15.00")),
                                  ("MAT", "Matin", (8, 30), (12, 0), 40, False,
                                   _brackets("3.00", "4.50", "6.00", "7.50")),
                                  ("APM", "Après-midi", (13, 30), (17, 30), 40, False,
                                   _brackets("3.00", "4.50", "6.00", "7.50")),
                                  ("REP", "Repas", (12, 0), (13, 30), 140, False, Decimal("3.30"))],
                                 {"holiday": (hs, hend), "short": short}))
                spec.append(("bus_vac", "bus", "Vacances bus CL", {0, 1, 2, 3, 4},
                             [("BUS", "Transport aller-retour", (8, 0), (18, 0), 50, False, Decimal("1.00"))],
                             {"holidays_only": True}))
                for key, tkey, name, weekdays, unit_spec, extra in spec:
                    holiday = extra.get("holiday")
                    a_start, a_end = holiday if holiday else (start, school_end if not extra.get("holidays_only")
                                                              else summer_end)
                    regular = any(u[5] for u in unit_spec)
                    rule = "window" if holiday else "monthly"
                    act = Activity.objects.create(
                        activity_type=types[tkey], name=f"{season} - {name}" + (f" ({school})" if sites > 1 else ""),
                        season_start=a_start, season_end=a_end, enrolment_opens=datetime.date(season_year, 3, 10),
                        enrolment_closes=datetime.date(season_year, 8, 20), auto_validate=True,
                        prebook_regular=regular, booking_rule=rule, deadline_day=20, notice_days=2,
                    )
                    skip = not (holiday or extra.get("holidays_only"))
                    if extra.get("holidays_only"):
                        spans = [(max(hs, a_start), min(he, a_end)) for _, hs, he in named
                                 if hs <= a_end and he >= a_start]
                    else:
                        spans = [(a_start, a_end)]
                    openings = []
                    for o_start, o_end in spans:
                        OpeningPeriod.objects.create(
                            activity=act, name="Année scolaire" if skip else "Vacances", start_date=o_start,
                            end_date=o_end, skip_school_holidays=skip,
                            **{rules_day: (i in weekdays) for i, rules_day in enumerate(
                                ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))},
                        )
                        openings.append(rules.Opening(o_start, o_end, frozenset(weekdays), skip))
                    windows = []
                    if holiday:
                        closes = holiday[0] - datetime.timedelta(days=14)
                        w = BookingWindow.objects.create(
                            activity=act, name=extra["short"], period_start=holiday[0], period_end=holiday[1],
                            opens_on=closes - datetime.timedelta(days=30), closes_on=closes)
                        windows.append(rules.Window(w.period_start, w.period_end, w.opens_on, w.closes_on, w.name))
                    stage = extra.get("stage")
                    groups = []
                    if stage:
                        groups.append(Group.objects.create(activity=act, name="Maternelle" if stage == "maternelle"
                                                           else "Élémentaire +6 ans", school_stage=stage))
                    elif tkey == "cl":
                        groups.append(Group.objects.create(activity=act, name="Maternelle", school_stage="maternelle",
                                                           capacity=48))
                        groups.append(Group.objects.create(activity=act, name="Élémentaire +6 ans",
                                                           school_stage="elementaire", capacity=72))
                    else:
                        groups.append(Group.objects.create(activity=act, name="Tous niveaux"))
                    unit_rows = []
                    for order, (code, uname, st, en, cap, reg, price) in enumerate(unit_spec):
                        u = Unit.objects.create(activity=act, name=uname, code=code, start_time=datetime.time(*st),
                                                end_time=datetime.time(*en), capacity=cap, is_regular=reg,
                                                billable=True, order=order)
                        tariff = Tariff.objects.create(
                            unit=u, label=f"{name.upper()} – {uname.upper()}"[:120],
                            mode="flat" if isinstance(price, Decimal) else "quotient",
                            flat_price=price if isinstance(price, Decimal) else None,
                            valid_from=a_start, valid_until=a_end)
                        if not isinstance(price, Decimal):
                            TariffBracket.objects.bulk_create(
                                [TariffBracket(tariff=tariff, quotient_up_to=b, price=p) for b, p in price])
                        unit_rows.append({"obj": u, "id": u.id, "code": code, "name": uname, "capacity": cap,
                                          "price": price, "regular": reg, "tariff_label": tariff.label})
                        self.units[u.id] = unit_rows[-1]
                    by_code = {u["code"]: u["obj"] for u in unit_rows}
                    if "APR" in by_code:
                        by_code["APR"].incompatible_units.add(by_code["APS"])
                    if "JOU" in by_code:
                        by_code["JOU"].incompatible_units.add(by_code["MAT"], by_code["APM"])
                        by_code["REP"].required_units.add(by_code["JOU"], by_code["MAT"])
                    calendar = rules.OpeningCalendar(a_start, a_end, openings, self.holidays, {})
                    for g in groups:
                        self.groups[g.id] = g
                    self.activities.append({
                        "obj": act, "id": act.id, "key": key, "name": act.name, "site": site, "season": season_year,
                        "units": unit_rows, "groups": groups, "calendar": calendar,
                        "regie": self.regie_resto if tkey == "resto" else self.regie_peri,
                        "policy": rules.Policy(rule, 20, 2, datetime.time(12, 0), tuple(windows)),
                        "open_days": calendar.open_days(a_start, a_end),
                    })
        # A teachers' training day closes the ALAE of site 0 one Friday of the current season.
        cur_acts = [a for a in self.activities if a["season"] == self.school_year and a["site"] == 0]
        peri0 = next(a for a in cur_acts if a["key"] == "alae_matin")["obj"].activity_type.structure
        fridays = [d for d in next(a for a in cur_acts if a["key"] == "alae_matin")["open_days"]
                   if d.weekday() == 4 and d > self.today]
        if fridays:
            ClosureDay.objects.create(structure=peri0, date=fridays[min(3, len(fridays) - 1)],
                                      reason="Journée pédagogique")
            for a in self.activities:
                if a["site"] == 0 and a["obj"].activity_type.structure_id == peri0.id:
                    a["calendar"].closures[fridays[min(3, len(fridays) - 1)]] = "Journée pédagogique"
                    a["open_days"] = a["calendar"].open_days(a["calendar"].season_start, a["calendar"].season_end)
        # The month parents are rushing to book: the first whose monthly deadline is still ahead.
        first = self.today.replace(day=1)
        nxt = month_end(first) + datetime.timedelta(days=1)
        self.rush_month = nxt if self.today.day <= 20 else month_end(nxt) + datetime.timedelta(days=1)
        # A nearly full day: the second Wednesday of the rush month at site 0's élémentaire Wednesdays.
        self.race_activity = next(a for a in cur_acts if a["key"] == "cl_elem")
        wednesdays = [d for d in self.race_activity["open_days"]
                      if d.year == self.rush_month.year and d.month == self.rush_month.month]
        self.overrides = {}
        if len(wednesdays) >= 2:
            apr = self.race_activity["units"][0]
            CapacityOverride.objects.create(unit_id=apr["id"], date=wednesdays[1], capacity=40)
            self.overrides[(apr["id"], None, wednesdays[1])] = 40
        self.counts["activités"] = len(self.activities)
        self.counts["unités"] = len(self.units)
        self.log(f"catalogue : {sites} site(s), {len(self.activities)} activités, {len(self.units)} unités "
                 f"(mois de réservation en cours : {self.rush_month:%m/%Y})")

    # ------------------------------------------------------------------ enrolments, bookings, occupancy
    def _capacity(self, unit_id, group, day):
        if group is None:
            return self.overrides.get((unit_id, None, day), self.units[unit_id]["capacity"])
        return self.overrides.get((unit_id, group.id, day), group.capacity)

    def _enrolments_and_bookings(self):
        from enrolment.models import Booking, Enrolment, Occupancy, WaitingListEntry

        rng, today, now = self.rng, self.today, self.now
        e_ids, b_ids = Ids(self.cur, Enrolment), Ids(self.cur, Booking)
        counters = defaultdict(int)
        self.billable = defaultdict(list)  # (month first day, regie id, family id) -> [line tuples]
        by_site = defaultdict(list)
        for a in self.activities:
            by_site[(a["season"], a["site"])].append(a)
        enrol = Copier(self.cur, Enrolment, ["id", "child_id", "activity_id", "group_id", "status", "requested_at",
                                             "requested_by_id", "decided_at"], now)
        book = Copier(self.cur, Booking, ["id", "child_id", "unit_id", "date", "enrolment_id", "state",
                                          "created_at", "updated_at", "booked_by_id", "absence_declared_at",
                                          "excuse"], now)
        waiting = []
        self.race_children = []
        self.enrolments_of = defaultdict(list)
        states = Booking.State
        labels = {states.RESERVED: "Réservé", states.PRESENT: "Présent", states.ABSENT_BILLED: "Absent facturé"}
        holding = set(Booking.HOLDING_STATES)
        billable_states = set(Booking.BILLABLE_STATES)

        def past_state():
            r = rng.random()
            if r < 0.88:
                return states.PRESENT
            if r < 0.94:
                return states.CANCELLED
            if r < 0.97:
                return states.ABSENT_BILLED
            return states.EXCUSED

        enrol_rows = []
        with book:
            for child in self.children:
                family = child["family"]
                parent_uid = family["guardians"][0]["user_id"]
                for season in (self.school_year - 1, self.school_year):
                    age = child["age"] - (1 if season < self.school_year else 0)
                    if age < 3:
                        continue
                    stage = "maternelle" if LEVELS_BY_AGE[age] in MATERNELLE else "elementaire"
                    acts = {a["key"]: a for a in by_site[(season, child["site"])]}
                    season_start = datetime.date(season, 9, 1)
                    requested = datetime.datetime.combine(datetime.date(season, 3, 10), datetime.time(9),
                                                          tzinfo=PARIS) + datetime.timedelta(
                        minutes=rng.randint(0, 60 * 24 * 150))
                    # What this child does this season.
                    chosen = []
                    if rng.random() < 0.70:
                        days = {0, 1, 3, 4} if rng.random() < 0.75 else set(rng.sample([0, 1, 3, 4], rng.randint(2, 3)))
                        chosen.append(("resto", days, ["REP"]))
                    if rng.random() < 0.28:
                        chosen.append(("alae_matin", {0, 1, 3, 4} if rng.random() < 0.6
                                       else set(rng.sample([0, 1, 3, 4], 2)), ["MAT"]))
                    r = rng.random()
                    if r < 0.32:
                        chosen.append(("alae_soir1", {0, 1, 3, 4} if rng.random() < 0.6
                                       else set(rng.sample([0, 1, 3, 4], 2)), ["SO1"]))
                    elif r < 0.42:
                        chosen.append(("alae_soir2", {0, 1, 3, 4}, ["SO2"]))
                    cl_key = "cl_mat" if stage == "maternelle" else "cl_elem"
                    race = (season == self.school_year and cl_key == "cl_elem" and child["site"] == 0
                            and acts.get("cl_elem") is self.race_activity)
                    if rng.random() < (0.30 if race else 0.16):
                        chosen.append((cl_key, {2}, None))
                        if rng.random() < 0.12:
                            chosen.append(("bus_mer", {2}, ["BUS"]))
                    elif rng.random() < 0.12:
                        chosen.append(("garderie", {2}, ["GAR"]))
                    clv = [k for k in acts if k.startswith("clv_")]
                    went_clv = False
                    for k in clv:
                        if rng.random() < 0.22:
                            chosen.append((k, None, None))
                            went_clv = True
                    if went_clv and rng.random() < 0.1:
                        chosen.append(("bus_vac", None, ["BUS"]))
                    for key, weekdays, codes in chosen:
                        a = acts.get(key)
                        if a is None:
                            continue
                        group = next((g for g in a["groups"] if g.school_stage in ("", stage)), None)
                        if group is None:
                            continue
                        eid = e_ids.next()
                        enrol_rows.append((eid, child["id"], a["id"], group.id, "validated", requested, parent_uid,
                                           requested))
                        self.enrolments_of[child["id"]].append((eid, a["id"], season))
                        if race:
                            if key == "cl_elem":
                                self.race_children.append((child["id"], eid))
                        counter_groups = [None] if group.capacity is None else [None, group]
                        plan = self._plan(a, weekdays, codes, season_start, child, key, race)
                        for unit_id, day in plan:
                            if day < self.history_start:
                                continue
                            keys = [(unit_id, g.id if g else None, day) for g in counter_groups]
                            past = day < today
                            state = past_state() if past else (states.RESERVED if rng.random() < 0.95
                                                               else states.CANCELLED)
                            if state in holding:
                                full = False
                                for k, g in zip(keys, counter_groups):
                                    cap = self._capacity(unit_id, g, day)
                                    if cap is not None and counters[k] >= cap:
                                        full = True
                                        break
                                if full:
                                    if not past and rng.random() < 0.15:
                                        waiting.append((child["id"], unit_id, day, eid))
                                    continue
                                for k in keys:
                                    counters[k] += 1
                            bid = b_ids.next()
                            created = requested if self.units[unit_id]["regular"] else datetime.datetime.combine(
                                day - datetime.timedelta(days=rng.randint(20, 45)), datetime.time(20, 15),
                                tzinfo=PARIS)
                            if created > now:
                                created = now - datetime.timedelta(hours=1)
                            declared = None
                            if state in (states.ABSENT_BILLED, states.EXCUSED):
                                declared = datetime.datetime.combine(day, datetime.time(8), tzinfo=PARIS)
                            book.row(bid, child["id"], unit_id, day, eid, state, created, created,
                                     parent_uid, declared, "granted" if state == states.EXCUSED else "")
                            if state in billable_states:
                                month = day.replace(day=1)
                                self.billable[(month, a["regie"].id, family["id"])].append(
                                    (bid, child, eid, unit_id, a, day, labels[state]))
        with enrol:
            for row in enrol_rows:
                enrol.row(*row)
        self.log(f"inscriptions : {enrol.count}, réservations : {book.count}")
        occ = Copier(self.cur, Occupancy, ["unit_id", "group_id", "date", "booked", "capacity"], now)
        with occ:
            for (unit_id, group_id, day), booked in counters.items():
                if booked:
                    occ.row(unit_id, group_id, day, booked,
                            self._capacity(unit_id, self.groups[group_id] if group_id else None, day))
        wl = Copier(self.cur, WaitingListEntry, ["child_id", "unit_id", "date", "enrolment_id", "auto_book",
                                                 "status", "created_at"], now)
        seen = set()
        with wl:
            for child_id, unit_id, day, eid in waiting:
                if (child_id, unit_id, day) in seen:
                    continue
                seen.add((child_id, unit_id, day))
                wl.row(child_id, unit_id, day, eid, rng.random() < 0.5, "waiting", now - datetime.timedelta(days=3))
        self.counts.update({"inscriptions": enrol.count, "réservations": book.count, "compteurs d'occupation": occ.count,
                            "liste d'attente": wl.count})
        self.log(f"compteurs d'occupation : {occ.count}, liste d'attente : {wl.count}")

    def _plan(self, a, weekdays, codes, season_start, child, key, race):
        """(unit_id, date) pairs this child books in activity ``a``, before the capacity check."""
        rng = self.rng
        units = {u["code"]: u["id"] for u in a["units"]}
        days = a["open_days"]
        plan = []
        if codes and a["units"][0]["regular"]:
            # Pre-booked regular days (ALAE, restauration) all season long.
            for d in days:
                if d.weekday() in weekdays:
                    plan.extend((units[c], d) for c in codes)
            return plan
        if key.startswith("clv_"):
            # Holiday weeks: whole weeks mostly, by the day.
            weeks = defaultdict(list)
            for d in days:
                weeks[d.isocalendar()[:2]].append(d)
            for wdays in weeks.values():
                if rng.random() < 0.55:
                    for d in wdays:
                        r = rng.random()
                        if r < 0.7:
                            plan.extend([(units["JOU"], d), (units["REP"], d)])
                        elif r < 0.85:
                            plan.extend([(units["MAT"], d), (units["REP"], d)])
                        elif r < 0.95:
                            plan.append((units["APM"], d))
            return plan
        if key == "bus_vac":
            return [(units["BUS"], d) for d in days if rng.random() < 0.3]
        # Wednesdays (CL, garderie, bus), booked month by month before the 20th: months whose deadline is
        # past are booked; later months only by one family in four (early birds), never the race children.
        unit_code = codes[0] if codes else ("APR" if rng.random() < 0.75 else "APS")
        for d in days:
            if d.weekday() not in (weekdays or {2}):
                continue
            if d >= self.rush_month and (race or rng.random() >= 0.25):
                continue
            if rng.random() < 0.75:
                plan.append((units[unit_code], d))
        return plan

    # ------------------------------------------------------------------ invoices and payments
    def _invoices(self):
        from billing.models import (
            Invoice, InvoiceLine, NumberSequence, OnlineTransaction, Payment, PaymentAllocation,
        )
        from billing.pricing import bracket_price, line_amount, money

        rng, now = self.rng, self.now
        inv_ids, pay_ids, tx_ids = Ids(self.cur, Invoice), Ids(self.cur, Payment), Ids(self.cur, OnlineTransaction)
        families = {f["id"]: f for f in self.families}
        # Months fully past whose invoices went out on the 5th of the next month, up to a year back.
        issued = []
        for first in month_iter(self.today - datetime.timedelta(days=400), self.today):
            issue_day = month_end(first) + datetime.timedelta(days=5)
            if issue_day <= self.today:
                issued.append((first, issue_day))
        issued = issued[-12:]
        sequences = defaultdict(int)
        price_cache = {}
        invoices = Copier(self.cur, Invoice, ["id", "regie_id", "family_id", "payer_id", "number", "year",
                                              "sequence_number", "issued_on", "due_on", "period_start", "period_end",
                                              "total", "paid_amount", "credited_amount", "status", "family_name",
                                              "family_number", "payer_name", "payer_address", "created_at"], now)
        line_rows, pay_rows, alloc_rows, tx_rows = [], [], [], []
        regies = [self.regie_peri, self.regie_resto]
        with invoices:
            for first, issue_day in issued:
                last = month_end(first)
                for regie in regies:
                    fam_ids = sorted(fid for (m, r, fid) in self.billable if m == first and r == regie.id)
                    for fid in fam_ids:
                        items = self.billable[(first, regie.id, fid)]
                        family = families[fid]
                        lines, total = [], Decimal("0.00")
                        for bid, child, eid, unit_id, a, day, state_label in items:
                            u = self.units[unit_id]
                            key = (unit_id, family["quotient"])
                            price = price_cache.get(key)
                            if price is None:
                                price = money(u["price"]) if isinstance(u["price"], Decimal) else bracket_price(
                                    u["price"], family["quotient"])
                                price_cache[key] = price
                            amount = line_amount(1, price)
                            total += amount
                            lines.append((bid, child["id"], eid, unit_id, child["label"], a["name"], u["name"],
                                          u["tariff_label"],
                                          day, state_label, 1, price, amount))
                        year = issue_day.year
                        sequences[(regie.id, year)] += 1
                        seq = sequences[(regie.id, year)]
                        iid = inv_ids.next()
                        payer = family["guardians"][0]
                        age_days = (self.today - issue_day).days
                        r = rng.random()
                        if age_days > 45:
                            paid = total if r < 0.92 else (money(total / 2) if r < 0.95 else Decimal("0.00"))
                        else:
                            paid = total if r < 0.45 else Decimal("0.00")
                        status = "paid" if paid >= total else "due"
                        invoices.row(iid, regie.id, fid, payer["id"], f"{regie.prefix}-{year}-{seq:05d}", year, seq,
                                     issue_day, issue_day + datetime.timedelta(days=regie.due_days), first, last,
                                     money(total), paid, Decimal("0.00"), status, family["name"],
                                     f"{NUMBER_PREFIX}{family['index'] + 1:07d}", payer["name"],
                                     family["address"], datetime.datetime.combine(
                                         issue_day, datetime.time(6), tzinfo=PARIS))
                        for line in lines:
                            line_rows.append((iid,) + line)
                        if paid > 0:
                            mode = rng.choices([m for m, _ in PAYMENT_MODES], weights=[w for _, w in PAYMENT_MODES])[0]
                            received = min(issue_day + datetime.timedelta(days=rng.randint(2, 28)), self.today)
                            pid = pay_ids.next()
                            tx = None
                            if mode == "online":
                                tx = tx_ids.next()
                                started = datetime.datetime.combine(received, datetime.time(21, 5), tzinfo=PARIS)
                                tx_rows.append((tx, iid, fid, regie.id, payer["user_id"], "payfip_ws",
                                                f"V{tx:09d}", f"OP{tx:012d}", paid, payer["email"], "paid",
                                                "Paiement accepté", started, started + datetime.timedelta(minutes=3)))
                            pay_rows.append((pid, regie.id, fid, payer["id"], payer["name"], mode, paid, received,
                                             f"CHQ {rng.randint(1000000, 9999999)}" if mode == "cheque" else "",
                                             tx, datetime.datetime.combine(received, datetime.time(10),
                                                                           tzinfo=PARIS)))
                            alloc_rows.append((pid, iid, paid))
        lines = Copier(self.cur, InvoiceLine, ["invoice_id", "booking_id", "child_id", "enrolment_id", "unit_id",
                                               "child_name", "activity_name", "unit_name", "tariff_label", "date",
                                               "state_label", "quantity", "unit_price", "amount"], now)
        with lines:
            for row in line_rows:
                lines.row(*row)
        txs = Copier(self.cur, OnlineTransaction, ["id", "invoice_id", "family_id", "regie_id", "user_id",
                                                   "provider", "reference", "provider_transaction_id", "amount",
                                                   "email", "state", "provider_status", "started_at",
                                                   "finished_at"], now)
        with txs:
            for row in tx_rows:
                txs.row(*row)
        pays = Copier(self.cur, Payment, ["id", "regie_id", "family_id", "payer_id", "payer_name", "mode", "amount",
                                          "received_on", "reference", "online_transaction_id", "created_at"], now)
        with pays:
            for row in pay_rows:
                pays.row(*row)
        allocs = Copier(self.cur, PaymentAllocation, ["payment_id", "invoice_id", "amount"], now)
        with allocs:
            for row in alloc_rows:
                allocs.row(*row)
        NumberSequence.objects.bulk_create([
            NumberSequence(regie_id=regie_id, year=year, kind="invoice", last_number=last)
            for (regie_id, year), last in sorted(sequences.items())
        ])
        self.invoiced_months = [first for first, _ in issued]
        self.billable = None
        self.counts.update({"factures": invoices.count, "lignes de facture": lines.count, "règlements": pays.count,
                            "paiements en ligne": txs.count})
        self.log(f"factures : {invoices.count}, lignes : {lines.count}, règlements : {pays.count}")

    # ------------------------------------------------------------------ messages and documents
    def _messages_and_documents(self):
        from families.models_documents import DocumentType, FamilyDocument
        from messaging.models import Message, Service, Thread

        rng, now = self.rng, self.now
        services = list(Service.objects.filter(is_active=True).order_by("order"))
        if not services:
            services = [Service.objects.create(name="ALAE – Restauration", order=1)]
        th_ids, msg_ids = Ids(self.cur, Thread), Ids(self.cur, Message)
        threads = Copier(self.cur, Thread, ["id", "family_id", "service_id", "theme", "subject", "status",
                                            "started_by_staff", "created_at", "last_message_at",
                                            "last_family_message_at", "last_staff_message_at"], now)
        msgs = []
        with threads:
            for f in self.families:
                k = rng.choices([0, 1, 2, 3], weights=[45, 30, 17, 8])[0]
                for _ in range(k):
                    tid = th_ids.next()
                    theme, subject, body = rng.choice(MESSAGE_SUBJECTS)
                    start = now - datetime.timedelta(days=rng.randint(1, 300), minutes=rng.randint(0, 600))
                    g = f["guardians"][0]
                    moments = []
                    t = start
                    n_msgs = rng.randint(1, 4)
                    for j in range(n_msgs):
                        staff = j % 2 == 1
                        moments.append((t, staff))
                        msgs.append((msg_ids.next(), tid, None if staff else g["user_id"],
                                     "Service enfance" if staff else g["name"], staff,
                                     rng.choice(STAFF_ANSWERS) if staff else body, t,
                                     t + datetime.timedelta(hours=2) if (j < n_msgs - 1 or rng.random() < 0.6)
                                     else None))
                        t = t + datetime.timedelta(hours=rng.randint(1, 48))
                    last = moments[-1][0]
                    fam_last = max((m for m, s in moments if not s), default=None)
                    staff_last = max((m for m, s in moments if s), default=None)
                    threads.row(tid, f["id"], rng.choice(services).id, theme, subject,
                                "answered" if staff_last and staff_last == last else "new", False, start, last,
                                fam_last, staff_last)
        messages = Copier(self.cur, Message, ["id", "thread_id", "author_id", "author_name", "from_staff", "body",
                                              "created_at", "read_at"], now)
        with messages:
            for row in msgs:
                messages.row(*row)
        # Documents: one small PDF on disk shared by every row (the rows are what the pages read).
        media = Path(settings.MEDIA_ROOT) / "documents" / "city"
        media.mkdir(parents=True, exist_ok=True)
        pdf = media / "justificatif.pdf"
        if not pdf.exists():
            pdf.write_bytes(b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>"
                            b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
        types = list(DocumentType.objects.filter(is_active=True).order_by("order"))
        if not types:
            types = [DocumentType.objects.create(name="Justificatif de domicile", validity_months=12, order=1),
                     DocumentType.objects.create(name="Attestation d'assurance", validity_months=12, order=2)]
        docs = Copier(self.cur, FamilyDocument, ["family_id", "document_type_id", "file", "original_name",
                                                 "content_type", "size", "uploaded_at", "uploaded_by_id", "status",
                                                 "valid_until"], now)
        with docs:
            for f in self.families:
                for t in types:
                    if rng.random() < 0.7:
                        up = now - datetime.timedelta(days=rng.randint(5, 200))
                        docs.row(f["id"], t.id, "documents/city/justificatif.pdf", f"{t.name.lower()}.pdf",
                                 "application/pdf", pdf.stat().st_size, up, f["guardians"][0]["user_id"],
                                 "accepted" if rng.random() < 0.85 else "received",
                                 (up + datetime.timedelta(days=365)).date())
        self.counts.update({"conversations": threads.count, "messages": messages.count, "documents": docs.count})
        self.log(f"conversations : {threads.count}, messages : {messages.count}, documents : {docs.count}")

    # ------------------------------------------------------------------ end
    def _move_sequences(self):
        tables = ["families_family", "auth_user", "families_guardian", "families_child", "families_childhealth",
                  "enrolment_enrolment", "enrolment_booking", "enrolment_occupancy", "enrolment_waitinglistentry",
                  "billing_invoice", "billing_invoiceline", "billing_payment", "billing_paymentallocation",
                  "billing_onlinetransaction", "messaging_thread", "messaging_message", "families_familydocument"]
        for table in tables:
            self.cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) "
                f"FROM \"{table}\"), 1))"
            )

    def _report(self):
        self.stdout.write("")
        self.stdout.write("Ville générée :")
        for name, count in self.counts.items():
            self.stdout.write(f"  {name:28} {count:>10,}".replace(",", " "))
        self.stdout.write(f"Durée : {time.monotonic() - self.t0:.1f} s")
        self.stdout.write(f"Connexion : {city_email(0, 1)} … {city_email(len(self.families) - 1, 1)} "
                          f"/ mot de passe {CITY_PASSWORD}")
