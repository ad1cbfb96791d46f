"""Parent pages served by several threads of one worker at once, as production runs them (gunicorn
``--threads 2``): what a process keeps in memory (configuration, the catalogue) is shared by its threads, and each parent must still see only their own
family."""
import pytest
from django.test import Client
from django.urls import reverse

from families.models import Child
from families.tests.factories import parent_with_family
from portal.tests.concurrency import run_in_threads

# Threads have their own database connections: the data must be committed for them to see it.
pytestmark = pytest.mark.django_db(transaction=True)

PAGES = ("home", "families:dossier", "families:children", "billing:index", "messaging:inbox")
ROUNDS = 5


def _family(name):
    user, family = parent_with_family(children=2)
    for n, child in enumerate(Child.objects.filter(family=family).order_by("pk")):
        child.first_name = f"{name}{n}"
        child.save(update_fields=["first_name"])
    return user, family


def test_threads_of_one_worker_each_serve_their_own_parent():
    parents = [_family(name) for name in ("Zéphyrine", "Anatole", "Bérénice", "Casimir")]
    turn = iter(parents)
    seen = []

    def browse():
        user, family = next(turn)
        others = [f"{u.email}" for u, _ in parents if u != user]
        client = Client()
        client.force_login(user)
        for _ in range(ROUNDS):
            for name in PAGES:
                response = client.get(reverse(name))
                assert response.status_code == 200, (name, response.status_code)
                html = response.content.decode()
                assert user.email in html, name  # the navigation's e-mail is this request's
                assert not any(email in html for email in others), name
                if name == "families:children":
                    kids = [c.first_name for c in family.children.all()]
                    assert all(kid in html for kid in kids)
                    assert not any(p.first_name in html for _, f in parents if f != family
                                   for p in f.children.all())
        seen.append(user.pk)

    assert run_in_threads(browse, count=len(parents)) == []
    assert sorted(seen) == sorted(u.pk for u, _ in parents)
