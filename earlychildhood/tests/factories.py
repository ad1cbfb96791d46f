"""Small builders for the early-childhood tests (the CNAF tables come from migration 0002)."""
import datetime
import importlib

from django.apps import apps

from django.utils import timezone

from billing.models import Regie
from earlychildhood.models import AgeSection, CommissionSession, Criterion, Nursery, SessionPlaces
from earlychildhood.services import requests
from enrolment.models import Structure

SCHEDULE = {"0": ["08:00", "17:00"], "2": ["08:00", "12:00"]}


def tables_seed():
    """The CNAF tables and criteria of migration 0002 (a transactional test flushes them): idempotent."""
    importlib.import_module("earlychildhood.migrations.0002_cnaf_tables_and_criteria").seed(apps, None)


def nursery_make(name="Multi-accueil Les Petits Loups", prefix="PE"):
    tables_seed()
    regie = Regie.objects.filter(prefix=prefix).first() or Regie.objects.create(
        name=f"Régie {prefix}", prefix=prefix, address="Mairie", due_days=30)
    structure = Structure.objects.create(name=name)
    nursery = Nursery.objects.create(structure=structure, regie=regie)
    section = AgeSection.objects.create(nursery=nursery, name="Bébés", min_months=0, max_months=15, places=8)
    return nursery, section


def pre_make(family, nursery, *, user=None, expected=True, criteria=(), now=None, resources="2500", **extra):
    today = timezone.localdate(now)
    data = {"child": None, "expected_birth_date": today + datetime.timedelta(days=60) if expected else None,
            "expected_first_name": "Camille", "wished_start": today + datetime.timedelta(days=120),
            "schedule": SCHEDULE, "nursery_1": nursery, "nursery_2": None, "nursery_3": None,
            "monthly_resources": resources, "dependent_children": 1, "disabled_children": 0, **extra}
    if not expected:
        data["child"] = family.children.first()
    return requests.pre_enrolment_save(family=family, user=user, data=data,
                                       criteria=list(Criterion.objects.filter(code__in=criteria)), now=now)


def session_make(section, *, places=1, start=None):
    session = CommissionSession.objects.create(date=timezone.localdate(), name="Commission")
    spot = SessionPlaces.objects.create(session=session, section=section, places=places,
                                        start_date=start or datetime.date(2026, 3, 1))
    return session, spot
