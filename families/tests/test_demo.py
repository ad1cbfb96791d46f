"""The demo data of the family file: deterministic, realistic, every demo guardian with an e-mail can log in."""
import io
import random

import pytest
from django.conf import settings
from django.contrib.auth.models import User

from families import demo
from families.models import ChangeRequest, Child, Family, Guardian
from portal.models import Organisation

pytestmark = pytest.mark.django_db


def snapshot():
    return [
        (f.name, f.city, f.quotient, [(c.first_name, c.birth_date, c.school_level) for c in f.children.order_by("pk")])
        for f in Family.objects.order_by("pk").prefetch_related("children")
    ]


def test_populate_builds_a_realistic_deterministic_demo(client, django_capture_on_commit_callbacks):
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        demo.populate(stdout=out, rng=random.Random(20250901))
    org = Organisation.current()
    assert org.name == "SIEJ – Syndicat Intercommunal Enfance Jeunesse" and org.phone and org.email and org.address
    families = Family.objects.all()
    assert families.count() == 40 and not families.filter(is_demo=False).exists()
    counts = [f.children.count() for f in families]
    assert min(counts) >= 1 and max(counts) <= 4
    assert Family.objects.filter(situation=Family.Situation.SEPARATED).count() >= 4
    for family in Family.objects.filter(situation=Family.Situation.SEPARATED):
        assert family.guardians.filter(user__isnull=False).count() == 2
    assert Family.objects.filter(postcode__startswith="07").count() == 40
    # Separated parents: the second guardian has an address of their own; a few children have an MDPH file.
    for family in Family.objects.filter(situation=Family.Situation.SEPARATED):
        second = family.guardians.get(rank=2)
        assert not second.same_address and second.postal_address_lines != family.address_lines
    assert Child.objects.filter(health__disability=True).exclude(health__accommodations="").exists()
    assert ChangeRequest.objects.filter(kind=ChangeRequest.Kind.VACCINATION, status="pending").exists()
    assert Child.objects.exclude(health__allergies="").exists()
    assert ChangeRequest.objects.filter(status="pending").count() >= 4
    assert ChangeRequest.objects.filter(status="refused").exists()

    # Every guardian with an e-mail has a login with the demo password, stored lower-cased.
    with_email = Guardian.objects.exclude(email="")
    assert with_email.count() == with_email.filter(user__isnull=False).count() > 40
    assert not Guardian.objects.filter(email="", user__isnull=False).exists()
    sample = with_email.select_related("user").order_by("pk")[5]
    assert sample.user.email == sample.email == sample.email.lower()
    assert sample.user.check_password(settings.DEMO_PASSWORD)

    first = Guardian.objects.filter(family__is_demo=True, user__isnull=False).order_by("family__number", "rank").first()
    assert first.family == Family.objects.order_by("number").first()
    staff = User.objects.get(email="agent@demo.portail.example")
    assert staff.is_staff and staff.is_superuser and staff.check_password(settings.DEMO_PASSWORD)
    assert "40 familles" in out.getvalue()

    response = client.post("/compte/login/", {"login": first.user.email.upper(), "password": settings.DEMO_PASSWORD})
    assert response.status_code == 302

    before = snapshot()
    Family.objects.all().delete()
    User.objects.all().delete()
    demo.populate(stdout=io.StringIO(), rng=random.Random(20250901))
    assert snapshot() == before
