import datetime

import factory
from django.conf import settings
from django.contrib.auth import get_user_model

from families.models import AuthorisedPerson, Child, ChildHealth, Family, Guardian, Vaccination

PASSWORD = "Bonjour-Portail-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    email = factory.Sequence(lambda n: f"parent{n}@example.org")
    username = factory.LazyAttribute(lambda o: o.email.lower())
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"agent{n}@mairie.example.org")
    is_staff = True
    is_superuser = True


class FamilyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Family

    name = factory.Sequence(lambda n: f"MARTIN{n}")
    address_line1 = "12 rue des Écoles"
    postcode = "07340"
    city = "Peaugres"
    home_phone = "04 75 00 00 00"
    benefit_number = factory.Sequence(lambda n: f"{1000000 + n}")
    quotient = 850
    quotient_valid_from = datetime.date(2025, 1, 1)
    quotient_valid_until = datetime.date(2026, 12, 31)


class GuardianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Guardian

    family = factory.SubFactory(FamilyFactory)
    rank = 1
    civility = "Mme"
    first_name = "Claire"
    last_name = factory.LazyAttribute(lambda o: o.family.name)
    relationship = "mother"
    email = factory.Sequence(lambda n: f"claire{n}@example.org")
    mobile_phone = "06 12 34 56 78"
    user = factory.LazyAttribute(lambda o: UserFactory(email=o.email.lower()) if o.email else None)


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    family = factory.SubFactory(FamilyFactory)
    first_name = factory.Iterator(["Léa", "Hugo", "Chloé", "Lucas", "Emma", "Nathan"])
    last_name = factory.LazyAttribute(lambda o: o.family.name)
    birth_date = datetime.date(2018, 5, 14)
    sex = "F"
    school = "École Jules Ferry"
    school_level = "CE1"
    health = factory.RelatedFactory("families.tests.factories.ChildHealthFactory", factory_related_name="child")


class ChildHealthFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChildHealth

    allergies = "Arachides"
    doctor_name = "Dr Dubois"
    doctor_phone = "04 75 11 22 33"


class VaccinationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vaccination

    vaccine = "DTPolio"
    date = datetime.date(2019, 6, 1)


class AuthorisedPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuthorisedPerson

    last_name = "BERNARD"
    first_name = "Josette"
    relationship = "Grand-mère"
    phone = "06 00 00 00 01"


def parent_with_family(*, children=1, email=None):
    """A family with one guardian who can log in (password ``PASSWORD``) and ``children`` children.

    Returns (user, family).
    """
    family = FamilyFactory()
    kwargs = {"email": email} if email else {}
    guardian = GuardianFactory(family=family, **kwargs)
    for _ in range(children):
        ChildFactory(family=family)
    return guardian.user, family


__all__ = ["PASSWORD", "parent_with_family", "settings"]
