"""The families of the city: families, parent accounts, guardians, children and their health records."""
import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from families.models import Child, ChildHealth, Family, Guardian

from .bulk import Copier, Ids
from .shared import CITY_PASSWORD, LEVELS_BY_AGE, SCHOOL_NAMES, city_email, family_number

User = get_user_model()
COPIED = (Family, User, Guardian, Child, ChildHealth)

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
ALLERGIES = [""] * 12 + ["Arachides", "Lactose", "Œufs", "Kiwi", "Fruits à coque", "Gluten"]


def generate(run, n, sites):
    """N families spread over ``sites`` school sites, 1.5 N children; returns (families, children) as
    dicts (ids, names, site, quotient, guardians) that the next steps read."""
    rng, now, cur = run.rng, run.now, run.cur
    password = make_password(CITY_PASSWORD)
    fam_ids, user_ids, g_ids, c_ids = (Ids(cur, m) for m in (Family, User, Guardian, Child))
    # 1.5 children per family exactly: every family one, 42 % a second, 8 % a third.
    order = list(range(n))
    rng.shuffle(order)
    n_children = [1] * n
    seconds = order[: round(n * 0.42)]
    for i in seconds:
        n_children[i] = 2
    for i in seconds[: round(n * 0.08)]:
        n_children[i] = 3
    families, children = [], []
    fam = Copier(cur, Family, ["id", "number", "name", "situation", "address_line1", "postcode", "city",
                               "benefit_regime", "benefit_number", "quotient", "quotient_valid_from",
                               "quotient_valid_until", "allow_email", "is_demo", "created_at", "updated_at"], now)
    qf_from = datetime.date(run.school_year - 1, 9, 1)
    qf_until = datetime.date(run.school_year + 1, 8, 31)
    with fam:
        for i in range(n):
            fid = fam_ids.next()
            surname = SURNAMES[i % len(SURNAMES)] if i < len(SURNAMES) else rng.choice(SURNAMES)
            has_qf = rng.random() < 0.9
            quotient = Decimal(rng.randrange(300, 2600, 5)) if has_qf else None
            site = i % sites
            address = f"{rng.randint(1, 180)} {rng.choice(STREETS)}"
            fam.row(fid, family_number(i), surname.upper(),
                    rng.choice(["married", "married", "pacs", "cohabiting", "separated", "single"]),
                    address, "75000", "Ville-sur-Benchmark",
                    "caf", f"{rng.randint(1000000, 9999999)}", quotient, qf_from if has_qf else None,
                    qf_until if has_qf else None, True, True, now, now)
            families.append({"id": fid, "index": i, "name": surname.upper(), "site": site,
                             "address": f"{address}\n75000 Ville-sur-Benchmark",
                             "quotient": quotient, "children": [], "guardians": []})
    users = Copier(cur, User, ["id", "username", "email", "password", "first_name", "last_name",
                               "is_active", "is_staff", "is_superuser", "date_joined"], now)
    guardians = Copier(cur, Guardian, ["id", "family_id", "rank", "user_id", "civility", "last_name",
                                       "first_name", "relationship", "email", "mobile_phone",
                                       "created_at", "updated_at"], now)
    with users:
        guardian_rows = []
        for f in families:
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
                guardian_rows.append((gid, f["id"], rank, uid, civility, f["name"], first, rel, email,
                                      f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                                      f"{rng.randint(10, 99)}", now, now))
    with guardians:
        for row in guardian_rows:
            guardians.row(*row)
    kids = Copier(cur, Child, ["id", "family_id", "first_name", "last_name", "birth_date", "sex", "school",
                               "school_level", "image_rights", "is_active", "created_at", "updated_at"], now)
    health = Copier(cur, ChildHealth, ["child_id", "allergies", "diet", "pai", "doctor_name", "created_at",
                                       "updated_at"], now)
    with kids:
        health_rows = []
        for f, k in zip(families, n_children):
            site = f["site"]
            for _ in range(k):
                cid = c_ids.next()
                age = rng.randint(3, 10)
                girl = rng.random() < 0.5
                birth = datetime.date(run.school_year - age, rng.randint(1, 12), rng.randint(1, 28))
                level = LEVELS_BY_AGE[age]
                first = rng.choice(GIRLS if girl else BOYS)
                kids.row(cid, f["id"], first, f["name"], birth, "F" if girl else "M",
                         f"École {SCHOOL_NAMES[site % len(SCHOOL_NAMES)]}", level, rng.random() < 0.8,
                         True, now, now)
                child = {"id": cid, "family": f, "first_name": first, "age": age, "site": site,
                         "label": f"{first} {f['name'].upper()}"}
                f["children"].append(child)
                children.append(child)
                allergy = rng.choice(ALLERGIES)
                health_rows.append((cid, allergy, "standard", allergy in ("Arachides", "Fruits à coque"),
                                    "Dr Martin", now, now))
    with health:
        for row in health_rows:
            health.row(*row)
    run.counts.update({"familles": fam.count, "comptes parents": users.count, "responsables": guardians.count,
                       "enfants": kids.count})
    run.log(f"familles : {fam.count}, responsables : {guardians.count}, enfants : {kids.count}")
    return families, children
