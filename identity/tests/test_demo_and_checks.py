import io

from allauth.socialaccount.models import SocialAccount
from django.test import override_settings

from families.tests.factories import FamilyFactory, GuardianFactory
from identity import checks, demo
from identity.models import IdentitySettings


def test_demo_opens_signup_and_links_the_matching_guardian(db):
    family = FamilyFactory(name="MARTIN", is_demo=True)
    guardian = GuardianFactory(family=family, first_name="Claire", last_name="MARTIN",
                               email="claire.martin@demo.portail.example")
    for _ in range(2):  # idempotent
        demo.populate(stdout=io.StringIO(), rng=None)
    guardian.refresh_from_db()
    assert str(guardian.birth_date) == "1986-04-12"
    assert SocialAccount.objects.get(provider="franceconnect", uid="demo-claire-martin").user == guardian.user
    assert IdentitySettings.current().self_registration


@override_settings(DEBUG=False, SETTINGS_MODULE="portal.settings", FRANCECONNECT_LOCAL_PROVIDER=True)
def test_the_local_provider_is_refused_in_production():
    assert [e.id for e in checks.local_provider_check()] == ["identity.E001"]


@override_settings(DEBUG=False, SETTINGS_MODULE="portal.settings", FRANCECONNECT_LOCAL_PROVIDER=False)
def test_production_without_the_local_provider_passes():
    assert checks.local_provider_check() == []


def test_the_local_provider_answers_404_when_disabled(client, settings, db):
    settings.FRANCECONNECT_LOCAL_PROVIDER = False
    assert client.get("/identite/fc-local/jwks").status_code == 404
