"""Deterministic demo data of the family file: the syndicate, ~40 families of the Annonay area (Ardèche),
their guardians (with logins), children, health sheets and a few change requests.

Every demo guardian with an e-mail logs in with ``settings.DEMO_PASSWORD``; so does the demo agent.
"""
import datetime
import unicodedata
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from portal.demo import register as register_demo
from portal.models import Organisation

from . import allergens, services
from .models import AuthorisedPerson, Child, ChildHealth, Family, Guardian, Vaccination

STAFF_EMAIL = "agent@demo.portail.example"

SURNAMES = [
    "Martin", "Bernard", "Roux", "Faure", "Blanc", "Fournier", "Chevalier", "Garnier", "Perrin", "Morel",
    "Bonnet", "Girard", "Mercier", "Dumas", "Fontaine", "Rousseau", "Vincent", "Muller", "Lefèvre", "Chabert",
    "Reynaud", "Vidal", "Arnaud", "Brunel", "Chalaye", "Courbis", "Deygas", "Ferrand", "Gaillard", "Juge",
    "Lafont", "Mounier", "Nodon", "Pélissier", "Rey", "Sauzet", "Teyssier", "Valette", "Bouvier", "Delorme",
]
MEN = ["Julien", "Nicolas", "Sébastien", "Thomas", "Mathieu", "Romain", "Guillaume", "Jérôme", "Olivier", "Cédric",
       "Yannick", "Franck", "Benoît", "Damien", "Laurent"]
WOMEN = ["Claire", "Aurélie", "Émilie", "Julie", "Céline", "Sandrine", "Marion", "Stéphanie", "Élodie", "Virginie",
         "Laure", "Nathalie", "Sophie", "Audrey", "Mélanie"]
GIRLS = ["Léa", "Chloé", "Emma", "Jade", "Louise", "Inès", "Manon", "Zoé", "Lina", "Camille", "Alice", "Rose", "Anna", "Jeanne"]
BOYS = ["Hugo", "Lucas", "Nathan", "Louis", "Gabriel", "Arthur", "Jules", "Raphaël", "Tom", "Noah", "Léo", "Adam", "Paul", "Sacha"]
TOWNS = [
    ("Annonay", "07100"), ("Davézieux", "07430"), ("Peaugres", "07340"), ("Boulieu-lès-Annonay", "07100"),
    ("Roiffieux", "07100"), ("Saint-Marcel-lès-Annonay", "07100"), ("Vernosc-lès-Annonay", "07430"),
    ("Quintenas", "07290"), ("Serrières", "07340"), ("Talencieux", "07340"), ("Saint-Clair", "07430"), ("Félines", "07340"),
]
STREETS = ["rue de la République", "avenue Marc Seguin", "chemin des Vignes", "place des Cordeliers", "rue Boissy d'Anglas",
           "route de Lyon", "impasse des Mûriers", "rue du Vivarais", "allée des Châtaigniers", "montée du Château"]
SCHOOLS = {
    "Annonay": ["École publique de la Lombardière", "École Saint-François"], "Davézieux": ["École publique de Davézieux"],
    "Peaugres": ["École publique de Peaugres"], "default": ["École publique du village", "École privée Sainte-Marie"],
}
PROFESSIONS = [("Infirmière", "Hôpital d'Annonay", "Rue du Bon Pasteur, 07100 Annonay"),
               ("Technicien de maintenance", "Iveco Bus", "Route de Lyon, 07100 Annonay"),
               ("Professeure des écoles", "Éducation nationale", ""), ("Agriculteur", "", ""),
               ("Comptable", "Cabinet Fiducial", "Avenue de l'Europe, 07100 Annonay"),
               ("Aide-soignante", "EHPAD Le Colombier", "07430 Davézieux"), ("Boulanger", "", ""),
               ("Assistante de direction", "Canson", "Rue de la Croisette, 07100 Annonay"), ("", "", "")]
ALLERGIES = ["", "", "", "", "", "Arachides", "Lactose", "Pollens de graminées", "Œufs", "Kiwi", "Fruits à coque"]
DOCTORS = [("Dr Vérot", "04 75 33 12 40"), ("Dr Bonnefoy", "04 75 67 21 09"), ("Dr Lacroix", "04 75 32 48 77"),
           ("Dr Chomel", "04 75 69 80 15")]
GRANDPARENTS = [("Josette", "Grand-mère"), ("Bernard", "Grand-père"), ("Monique", "Grand-mère"), ("Gérard", "Grand-père"),
                ("Sylvie", "Tante"), ("Karine", "Assistante maternelle"), ("Pascal", "Voisin")]
LEVEL_BY_AGE = {3: "PS", 4: "MS", 5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2"}


def _ascii(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "-").replace("'", "")


def _phone(rng, prefix="06"):
    return f"{prefix} " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))


def populate(*, stdout, rng):
    User = get_user_model()
    today = timezone.localdate()
    school_year = today.year if today.month >= 9 else today.year - 1
    password_hash = make_password(settings.DEMO_PASSWORD)

    org = Organisation.current()
    org.name = "SIEJ – Syndicat Intercommunal Enfance Jeunesse"
    org.short_name = "SIEJ"
    org.address = "Maison de l'enfance\n15 rue Sadi Carnot\n07100 Annonay"
    org.phone = "04 75 32 10 20"
    org.email = "contact@siej.demo.portail.example"
    org.save()

    staff, _ = User.objects.get_or_create(username=STAFF_EMAIL, defaults={"email": STAFF_EMAIL})
    staff.email, staff.is_staff, staff.is_superuser, staff.password = STAFF_EMAIL, True, True, password_hash
    staff.first_name, staff.last_name = "Agent", "SIEJ"
    staff.save()

    def make_user(guardian):
        user = User.objects.create(
            username=guardian.email, email=guardian.email, first_name=guardian.first_name, last_name=guardian.last_name,
            password=password_hash,
        )
        guardian.user = user

    families, logins = [], 0
    for i, surname in enumerate(SURNAMES):
        town, postcode = TOWNS[i % len(TOWNS)]
        separated = i % 7 == 3
        single = i % 11 == 5 and not separated
        situation = (Family.Situation.SEPARATED if separated else Family.Situation.SINGLE if single
                     else rng.choice([Family.Situation.MARRIED, Family.Situation.MARRIED, Family.Situation.PACS, Family.Situation.COHABITING]))
        regime = Family.BenefitRegime.MSA if i % 9 == 4 else Family.BenefitRegime.CAF
        has_qf = i % 8 != 6
        family = Family.objects.create(
            name=surname.upper(), situation=situation,
            address_line1=f"{rng.randint(1, 48)} {rng.choice(STREETS)}",
            address_line2="Lotissement les Chênes" if i % 10 == 2 else "",
            postcode=postcode, city=town, home_phone=_phone(rng, "04 75") if i % 3 else "",
            benefit_regime=regime, benefit_number=f"{rng.randint(1000000, 9999999)}",
            quotient=Decimal(rng.randrange(350, 2100, 5)) if has_qf else None,
            quotient_valid_from=datetime.date(today.year, 1, 1) if has_qf else None,
            quotient_valid_until=datetime.date(today.year, 12, 31) if has_qf else None,
            allow_email=True, allow_sms=i % 4 == 0, is_demo=True,
        )
        families.append(family)
        mother_first, father_first = WOMEN[i % len(WOMEN)], MEN[(i * 7) % len(MEN)]
        people = [("Mme", mother_first, "mother"), ("M.", father_first, "father")]
        if i % 2:
            people.reverse()
        if single:
            people = people[:1]
        for rank, (civility, first, relationship) in enumerate(people, start=1):
            # Rank 2 has no e-mail in one family out of four, except when parents are separated.
            email = f"{_ascii(first)}.{_ascii(surname)}@demo.portail.example"
            if rank == 2 and not separated and i % 4 == 1:
                email = ""
            profession, employer, employer_address = rng.choice(PROFESSIONS)
            guardian = Guardian(
                family=family, rank=rank, civility=civility, first_name=first, last_name=surname.upper(),
                relationship=relationship, email=email, mobile_phone=_phone(rng),
                work_phone=_phone(rng, "04 75") if employer else "",
                profession=profession, employer=employer, employer_address=employer_address,
            )
            if separated and rank == 2:
                # Separated parents: the second guardian lives elsewhere (their own address and home phone).
                other_town, other_postcode = TOWNS[(i + 2) % len(TOWNS)]
                guardian.same_address = False
                guardian.address_line1 = f"{(i * 5) % 40 + 2} {STREETS[(i + 3) % len(STREETS)]}"
                guardian.address_line2 = "Appartement 4" if i % 2 else ""
                guardian.postcode, guardian.city = other_postcode, other_town
                guardian.home_phone = f"04 75 {i % 100:02d} 18 {(i * 3) % 100:02d}"
            if email:
                make_user(guardian)
                logins += 1
            guardian.save()

        n_children = rng.choices([1, 2, 3, 4], weights=[35, 40, 18, 7])[0]
        schools = SCHOOLS.get(town, SCHOOLS["default"])
        for k in range(n_children):
            girl = rng.random() < 0.5
            age = rng.randint(3, 12)
            birth = datetime.date(school_year - age, rng.randint(1, 12), rng.randint(1, 28))
            level = LEVEL_BY_AGE.get(age, "COL" if age > 10 else "")
            child = Child.objects.create(
                family=family, first_name=rng.choice(GIRLS if girl else BOYS), last_name=surname.upper(),
                birth_date=birth, sex="F" if girl else "M", school="" if level == "COL" else rng.choice(schools),
                school_level=level, image_rights=rng.random() < 0.8,
            )
            allergy = rng.choice(ALLERGIES)
            doctor = rng.choice(DOCTORS)
            ChildHealth.objects.create(
                child=child, allergies=allergy, food_allergens=",".join(allergens.from_text(allergy)),
                diet=rng.choice([ChildHealth.Diet.STANDARD] * 6 + [ChildHealth.Diet.NO_PORK, ChildHealth.Diet.VEGETARIAN]),
                pai=allergy in ("Arachides", "Fruits à coque"),
                pai_details="Trousse d'urgence (stylo d'adrénaline) au secrétariat." if allergy in ("Arachides", "Fruits à coque") else "",
                doctor_name=doctor[0], doctor_phone=doctor[1], glasses=rng.random() < 0.15,
                notes="Asthme léger : Ventoline dans le sac." if rng.random() < 0.08 else "",
                # A child with a disability recognised by the MDPH in a few families.
                disability=k == 0 and i % 13 == 6,
                accommodations="Accompagnante (AESH) sur le temps du midi ; salle calme pour la sieste."
                if k == 0 and i % 13 == 6 else "",
            )
            Vaccination.objects.bulk_create([
                Vaccination(child=child, vaccine=name, date=birth + datetime.timedelta(days=days))
                for name, days in (("DTPolio / coqueluche", 61), ("DTPolio / coqueluche", 122), ("ROR", 365),
                                   ("Méningocoque C", 150), ("DTPolio / coqueluche (rappel)", 335))
            ])
            first, relationship = rng.choice(GRANDPARENTS)
            AuthorisedPerson.objects.create(
                child=child, first_name=first, last_name=rng.choice(SURNAMES).upper(), relationship=relationship,
                phone=_phone(rng), can_pick_up=True, emergency_contact=rng.random() < 0.6,
            )

    _change_requests(families, staff)
    stdout.write(
        f"Familles : {len(families)} familles de démonstration, {Child.objects.filter(family__is_demo=True).count()} enfants, "
        f"{logins} comptes parents (mot de passe {settings.DEMO_PASSWORD})."
    )


def _change_requests(families, staff):
    """A few requests: pending ones for staff to handle, one accepted and one refused to show the history."""
    def parent(family):
        return Guardian.objects.filter(family=family, user__isnull=False).select_related("user").first().user

    first = families[0]
    services.change_request_create(
        family=first, user=parent(first), kind="family",
        data={"home_phone": "04 75 67 89 10", "allow_sms": True},
    )
    f = families[1]
    services.change_request_create(
        family=f, user=parent(f), kind="family",
        data={"address_line1": "3 place de la Liberté", "postcode": "07100", "city": "Annonay"},
    )
    f = families[2]
    guardian = f.guardians.order_by("rank").first()
    services.change_request_create(
        family=f, user=parent(f), kind="guardian", target=guardian,
        data={"mobile_phone": "06 70 11 22 33", "profession": "Cheffe de projet", "employer": "Canson"},
    )
    f = families[3]
    child = f.children.order_by("birth_date").first()
    services.change_request_create(
        family=f, user=parent(f), kind="health", child=child,
        data={"allergies": "Arachides, fruits à coque", "food_allergens": "peanuts,nuts", "pai": True},
    )
    f = families[4]
    services.change_request_create(
        family=f, user=parent(f), kind="new_child",
        data={"first_name": "Margot", "last_name": f.name, "birth_date": datetime.date(2023, 3, 14), "sex": "F",
              "school": "", "school_level": ""},
    )
    f = families[5]
    child = f.children.order_by("birth_date").first()
    services.change_request_create(
        family=f, user=parent(f), kind="person", child=child,
        data={"first_name": "Odile", "last_name": "CHAPUIS", "relationship": "Grand-mère", "phone": "06 81 22 43 90",
              "can_pick_up": True, "emergency_contact": True},
    )
    f = families[8]
    child = f.children.order_by("birth_date").first()
    services.change_request_create(
        family=f, user=parent(f), kind="vaccine", child=child,
        data={"vaccine": "Hépatite B", "date": child.birth_date + datetime.timedelta(days=70)},
    )
    f = families[6]
    accepted = services.change_request_create(
        family=f, user=parent(f), kind="family", data={"home_phone": "04 75 34 56 78"},
    )
    services.change_request_accept(request=accepted, by=staff)
    f = families[7]
    refused = services.change_request_create(
        family=f, user=parent(f), kind="family", data={"benefit_regime": "msa"},
    )
    services.change_request_refuse(
        request=refused, by=staff, reason="Merci de joindre l'attestation MSA : le changement de régime se fait sur justificatif.",
    )


def presence():
    """For ``manage.py demo_data``: "real" when the database holds real families, "demo" when the demo is loaded."""
    if Family.objects.filter(is_demo=False).exists():
        return "real"
    return "demo" if Family.objects.filter(is_demo=True).exists() else None


def logins(stdout):
    """The demo accounts, printed by ``manage.py demo_data``."""
    guardian = Guardian.objects.filter(family__is_demo=True, user__isnull=False).order_by("family__number", "rank").first()
    if guardian:
        stdout.write(f"Parent de démonstration : {guardian.user.email} / {settings.DEMO_PASSWORD}")
        stdout.write("(tout responsable de démonstration ayant un e-mail se connecte avec ce même mot de passe)")
    stdout.write(f"Agent (administration) : http://127.0.0.1:8000/admin/  {STAFF_EMAIL} / {settings.DEMO_PASSWORD}")


register_demo(populate, order=10, presence=presence, logins=logins)
