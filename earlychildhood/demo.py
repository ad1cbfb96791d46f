"""Demo data of « Petite enfance »: three crèches with their sections and régie, the published criteria
with proof documents, about twenty requests (some for expected babies) and a held commission with its
offers (one accepted, with its contract), decisions kept and refused."""
import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from billing.models import Regie
from documents.models import DocumentType
from enrolment.models import Structure
from families.models import Child, Family
from portal.demo import register as register_demo

from .models import AgeSection, CommissionSession, Criterion, Decision, Nursery, PreEnrolment, SessionPlaces
from .services import commission, requests

NURSERIES = [
    ("Multi-accueil Les Petits Loups", "12 rue des Écoles, 07100 Annonay", 30),
    ("Crèche La Farandole", "3 avenue de l'Europe, 07100 Annonay", 24),
    ("Multi-accueil Pomme d'Api", "1 place du Marché, 07430 Davézieux", 18),
]
SECTIONS = [("Bébés", 0, 15, 8), ("Moyens", 15, 24, 8), ("Grands", 24, 48, 8)]
PROOFS = {
    "working": "Attestation d'emploi ou de formation",
    "disability": "Notification AEEH ou MDPH",
}
SCHEDULES = [
    {"0": ["08:00", "17:30"], "1": ["08:00", "17:30"], "3": ["08:00", "17:30"], "4": ["08:00", "16:30"]},
    {"0": ["08:30", "18:00"], "1": ["08:30", "18:00"], "2": ["08:30", "12:30"], "3": ["08:30", "18:00"],
     "4": ["08:30", "18:00"]},
    {"1": ["09:00", "16:00"], "3": ["09:00", "16:00"]},
]


def populate(*, stdout, rng):
    now = timezone.now()
    today = timezone.localdate(now)
    regie = Regie.objects.create(
        name="Régie petite enfance", prefix="PE", address="Mairie – Service petite enfance\n1 place de la Liberté\n07100 Annonay",
        phone="04 75 32 10 22", cheque_payee="Régie petite enfance", cash_desk="Service petite enfance, mardi 9 h – 12 h",
        payment_provider="fake", payfip_numcli="000000",
    )
    nurseries = []
    for name, address, places in NURSERIES:
        structure = Structure.objects.create(name=name, address=address, phone="04 75 00 00 00")
        regie.structures.add(structure)
        nursery = Nursery.objects.create(structure=structure, regie=regie, places=places)
        for section, lo, hi, n in SECTIONS:
            AgeSection.objects.create(nursery=nursery, name=section, min_months=lo, max_months=hi, places=n)
        nurseries.append(nursery)
    proofs = {code: DocumentType.objects.get_or_create(name=name, defaults={"is_required": False, "order": 50})[0]
              for code, name in PROOFS.items()}
    Criterion.objects.filter(code__in=proofs).update(proof_type=None)
    for code, doc_type in proofs.items():
        Criterion.objects.filter(code=code).update(proof_type=doc_type)
    criteria = list(Criterion.objects.filter(is_active=True))
    families = list(Family.objects.filter(is_demo=True).order_by("number")[:20])
    pres = []
    with transaction.atomic():
        for i, family in enumerate(families):
            guardian = family.guardians.order_by("rank").first()
            user = guardian.user if guardian else None
            expected = i % 3 == 0
            child = None
            if not expected:
                child = Child.objects.create(family=family, first_name=rng.choice(["Léa", "Noé", "Jade", "Lucas", "Inès", "Tom"]),
                                             last_name=family.name, birth_date=today - datetime.timedelta(days=120 + 20 * i),
                                             sex=rng.choice("FM"))
            picks = rng.sample(nurseries, k=1 + i % 3)
            data = {
                "child": child, "expected_birth_date": today + datetime.timedelta(days=40 + 7 * i) if expected else None,
                "expected_first_name": "Camille" if expected and i % 2 else "", "wished_start": today + datetime.timedelta(days=90 + 10 * i),
                "schedule": SCHEDULES[i % len(SCHEDULES)], "nursery_1": picks[0], "nursery_2": picks[1] if len(picks) > 1 else None,
                "nursery_3": picks[2] if len(picks) > 2 else None,
                "monthly_resources": Decimal(1500 + 250 * i), "dependent_children": 1 + i % 3, "disabled_children": 1 if i == 7 else 0,
            }
            chosen = rng.sample(criteria, k=min(len(criteria), i % 4))
            pres.append(requests.pre_enrolment_save(family=family, user=user, data=data, criteria=chosen,
                                                    now=now - datetime.timedelta(days=60 - i)))
    # A held commission: two places per crèche's « Bébés », one request refused, the others kept.
    session = CommissionSession.objects.create(date=today - datetime.timedelta(days=3), name="Commission de printemps")
    places = {n.pk: SessionPlaces.objects.create(session=session, section=n.sections.order_by("min_months").first(),
                                                 start_date=today + datetime.timedelta(days=60), places=2)
              for n in nurseries}
    ranked = sorted(pres, key=lambda p: (-sum(c.weight for c in p.criteria.all()), p.created_at))
    for k, pre in enumerate(ranked):
        spot = places[pre.nursery_1_id]
        if k < 5 and commission.places_left(spot) > 0:
            commission.decision_record(session=session, pre=pre, kind=Decision.Kind.OFFER, places=spot, now=now)
        elif k == len(ranked) - 1:
            commission.decision_record(session=session, pre=pre, kind=Decision.Kind.REFUSE,
                                       reason="Domicile hors des communes membres du syndicat", now=now)
        else:
            commission.decision_record(session=session, pre=pre, kind=Decision.Kind.KEEP, now=now)
    commission.session_hold(session=session, now=now - datetime.timedelta(days=2))
    first_offer = Decision.objects.filter(session=session, kind=Decision.Kind.OFFER).order_by("pk").first()
    if first_offer is not None:
        commission.offer_answer(decision=first_offer, accept=True, now=now)
    stdout.write(f"Petite enfance : {len(nurseries)} crèches, {len(pres)} préinscriptions, une commission tenue "
                 f"({Decision.objects.filter(session=session).count()} décisions)\n")


register_demo(populate, order=45)  # after the families, documents and billing
