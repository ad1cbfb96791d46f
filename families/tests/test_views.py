"""Parent pages: content, change-request forms, isolation between families, bounded query counts."""
import datetime

import pytest
from django.db import connection
from django.urls import reverse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from families import services
from families.models import AuthorisedPerson, ChangeRequest, Child, ChildHealth, Family, Guardian, Vaccination
from families.tests.factories import AuthorisedPersonFactory, GuardianFactory, StaffFactory, VaccinationFactory, parent_with_family
from portal.models import Organisation

pytestmark = pytest.mark.django_db

Kind = ChangeRequest.Kind


def family_form_data(family, **changes):
    data = {name: getattr(family, name) for name in services.FAMILY_FIELDS}
    data.update(changes)
    return {k: ("on" if v is True else "" if v is False or v is None else v) for k, v in data.items() if v is not False}


def test_dossier_shows_the_family_and_both_guardians(parent_client, parent):
    user, family = parent
    GuardianFactory(family=family, rank=2, civility="M.", first_name="Marc", relationship="father",
                    email="", user=None, profession="Menuisier", employer="Bois & Co", employer_address="07100 Annonay")
    body = parent_client.get("/famille/").content.decode()
    for text in (family.number, "12 rue des Écoles", "07340 Peaugres", "04 75 00 00 00", "CAF (régime général)",
                 family.benefit_number, "850,00", "01/01/2025", "31/12/2026", "Autorisation SMS",
                 "Responsable 1", "Responsable 2", "Claire", "Marc", "Menuisier", "Bois &amp; Co", "Père", "Mère",
                 user.email, "Monsieur", "Madame"):
        assert text in body, text


def test_children_page_shows_the_sheets(parent_client, parent):
    user, family = parent
    child = family.children.get()
    VaccinationFactory(child=child, vaccine="ROR", date=datetime.date(2019, 6, 1))
    AuthorisedPersonFactory(child=child, emergency_contact=True)
    child.health.glasses = True
    child.health.pai = True
    child.health.pai_details = "Trousse d'urgence"
    child.health.save()
    body = parent_client.get("/famille/enfants/").content.decode()
    for text in (child.first_name, "14/05/2018", "École Jules Ferry", "CE1", "Arachides", "Dr Dubois",
                 "ROR", "01/06/2019", "Josette", "Grand-mère", "À prévenir en cas d'urgence", "Trousse d&#x27;urgence",
                 "Droit à l'image"):
        assert text in body, text


def test_family_form_is_prefilled(parent_client, parent):
    _, family = parent
    body = parent_client.get("/famille/modifier/foyer/").content.decode()
    assert 'value="12 rue des Écoles"' in body and 'value="07340"' in body
    assert "transmise au service" in body


def test_request_an_address_change(parent_client, parent):
    user, family = parent
    data = family_form_data(family, address_line1="3 place de la Liberté", postcode="07100", city="Annonay")
    response = parent_client.post("/famille/modifier/foyer/", data)
    assert response.status_code == 302 and response.url == "/famille/"
    cr = ChangeRequest.objects.get()
    assert set(cr.changes) == {"address_line1", "postcode", "city"}
    family.refresh_from_db()
    assert family.city == "Peaugres"
    listing = parent_client.get("/famille/demandes/").content.decode()
    assert "3 place de la Liberté" in listing and "En attente" in listing
    assert "Une demande de modification est en attente" in parent_client.get("/famille/").content.decode()


def test_form_errors_are_french_and_keep_the_input(parent_client, parent):
    _, family = parent
    data = family_form_data(family, address_line1="3 place de la Liberté", postcode="7100", home_phone="123")
    response = parent_client.post("/famille/modifier/foyer/", data)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Le code postal doit comporter 5 chiffres." in body
    assert "Numéro de téléphone invalide" in body
    assert 'value="3 place de la Liberté"' in body
    assert not ChangeRequest.objects.exists()


def test_submitting_unchanged_values_says_so(parent_client, parent):
    _, family = parent
    response = parent_client.post("/famille/modifier/foyer/", family_form_data(family))
    assert "Aucune modification" in response.content.decode()


def test_phone_numbers_are_normalised(parent_client, parent):
    _, family = parent
    parent_client.post("/famille/modifier/foyer/", family_form_data(family, home_phone="+33475123456"))
    assert ChangeRequest.objects.get().changes["home_phone"]["new"] == "04 75 12 34 56"


def test_direct_policy_message(parent_client, parent):
    _, family = parent
    org = Organisation.current()
    org.policy_family = Organisation.ChangePolicy.DIRECT
    org.save()
    response = parent_client.post("/famille/modifier/foyer/", family_form_data(family, city="Annonay"), follow=True)
    assert "Vos modifications sont enregistrées." in response.content.decode()
    family.refresh_from_db()
    assert family.city == "Annonay"


def test_guardian_form_cannot_change_the_email(parent_client, parent):
    user, family = parent
    guardian = user.guardian
    org = Organisation.current()
    org.policy_guardian = Organisation.ChangePolicy.DIRECT
    org.save()
    page = parent_client.get(f"/famille/modifier/responsable/{guardian.pk}/").content.decode()
    assert 'name="email"' not in page and "seul le service peut la modifier" in page
    data = {name: getattr(guardian, name) for name in services.GUARDIAN_FIELDS}
    data.update(email="pirate@example.org", mobile_phone="07 11 22 33 44")
    parent_client.post(f"/famille/modifier/responsable/{guardian.pk}/", data)
    guardian.refresh_from_db()
    user.refresh_from_db()
    assert guardian.mobile_phone == "07 11 22 33 44"
    assert guardian.email == user.email != "pirate@example.org"


def test_add_child_request(parent_client, parent):
    response = parent_client.post("/famille/enfants/ajouter/", {
        "first_name": "Margot", "last_name": "MARTIN", "birth_date": "2023-03-14", "sex": "F", "school": "", "school_level": ""})
    assert response.status_code == 302
    assert ChangeRequest.objects.get().kind == Kind.NEW_CHILD
    assert "Demande d'ajout de Margot MARTIN" in parent_client.get("/famille/enfants/").content.decode()


def test_health_and_person_requests(parent_client, parent):
    _, family = parent
    child = family.children.get()
    health = {name: getattr(child.health, name) for name in services.HEALTH_FIELDS}
    health = {k: v for k, v in health.items() if v is not False}
    health["allergies"] = "Kiwi"
    assert parent_client.post(f"/famille/enfants/{child.pk}/sante/", health).status_code == 302
    person = {"first_name": "Odile", "last_name": "CHAPUIS", "relationship": "Voisine", "phone": "0681224390", "can_pick_up": "on"}
    assert parent_client.post(f"/famille/enfants/{child.pk}/personnes/ajouter/", person).status_code == 302
    kinds = sorted(ChangeRequest.objects.values_list("kind", flat=True))
    assert kinds == [Kind.HEALTH, Kind.AUTHORISED_PERSON]
    assert ChangeRequest.objects.get(kind=Kind.AUTHORISED_PERSON).changes["phone"]["new"] == "06 81 22 43 90"


def test_requests_page_lists_last_month_and_pending_with_filter(parent_client, parent):
    user, family = parent
    old = timezone.now() - datetime.timedelta(days=60)
    pending_old = services.change_request_create(family=family, user=user, kind=Kind.FAMILY, data={"city": "Vieux-Pending"}, now=old)
    accepted_old = services.change_request_create(family=family, user=user, kind=Kind.FAMILY, data={"city": "Vieux-Accepte"}, now=old)
    ChangeRequest.objects.filter(pk=accepted_old.pk).update(status="accepted", decided_at=old)
    refused = services.change_request_create(family=family, user=user, kind=Kind.GUARDIAN, target=user.guardian,
                                             data={"profession": "Fleuriste"})
    services.change_request_refuse(request=refused, by=StaffFactory(), reason="Merci de préciser l'employeur.")
    body = parent_client.get("/famille/demandes/").content.decode()
    assert "Vieux-Pending" in body and "Fleuriste" in body
    assert "Vieux-Accepte" not in body
    assert "Merci de préciser l&#x27;employeur." in body and "Refusée" in body
    filtered = parent_client.get("/famille/demandes/?type=guardian").content.decode()
    assert "Fleuriste" in filtered and "Vieux-Pending" not in filtered
    assert pending_old.pk


# --- Isolation ---------------------------------------------------------------------------------------

def _other_ids(other):
    other_user, other_family = other
    child = other_family.children.get()
    person = AuthorisedPersonFactory(child=child)
    return other_user.guardian, child, person


def test_every_parent_url_with_an_id_answers_404_for_another_family(parent_client, parent, other_family):
    user, family = parent
    guardian, child, person = _other_ids(other_family)
    own_child = family.children.get()
    urls = [
        f"/famille/modifier/responsable/{guardian.pk}/",
        f"/famille/enfants/{child.pk}/modifier/",
        f"/famille/enfants/{child.pk}/sante/",
        f"/famille/enfants/{child.pk}/personnes/ajouter/",
        f"/famille/enfants/{child.pk}/personnes/{person.pk}/modifier/",
        f"/famille/enfants/{own_child.pk}/personnes/{person.pk}/modifier/",
        "/famille/enfants/999999/modifier/",
    ]
    payload = {"first_name": "Pirate", "last_name": "PIRATE", "phone": "0600000000", "birth_date": "2019-01-01",
               "sex": "M", "civility": "M.", "relationship": "father", "allergies": "Pirate"}
    snapshot = lambda: (  # noqa: E731
        list(Guardian.objects.values_list("first_name", "last_name").order_by("pk")),
        list(Child.objects.values_list("first_name", "birth_date").order_by("pk")),
        list(ChildHealth.objects.values_list("allergies").order_by("pk")),
        list(AuthorisedPerson.objects.values_list("first_name", "phone").order_by("pk")),
    )
    before = snapshot()
    for url in urls:
        assert parent_client.get(url).status_code == 404, url
        assert parent_client.post(url, payload).status_code == 404, url
    assert snapshot() == before
    assert not ChangeRequest.objects.exists()


def test_inactive_child_answers_404(parent_client, parent):
    _, family = parent
    child = family.children.get()
    child.is_active = False
    child.save()
    assert parent_client.get(f"/famille/enfants/{child.pk}/modifier/").status_code == 404


def test_parent_sees_only_own_requests(parent_client, parent, other_family):
    other_user, other = other_family
    services.change_request_create(family=other, user=other_user, kind=Kind.FAMILY, data={"city": "Secret-Ville"})
    assert "Secret-Ville" not in parent_client.get("/famille/demandes/").content.decode()


# --- Query counts ------------------------------------------------------------------------------------

def _bulk_families(n):
    families = Family.objects.bulk_create([
        Family(name=f"BULK{i}", number=f"B{i:06d}", city="Annonay", postcode="07100") for i in range(n)
    ])
    children = Child.objects.bulk_create([
        Child(family=f, first_name="Enfant", last_name=f.name, birth_date=datetime.date(2017, 1, 1), sex="M") for f in families
    ])
    ChildHealth.objects.bulk_create([ChildHealth(child=c) for c in children])
    Vaccination.objects.bulk_create([Vaccination(child=c, vaccine="ROR", date=datetime.date(2018, 1, 1)) for c in children])
    Guardian.objects.bulk_create([
        Guardian(family=f, rank=1, civility="Mme", first_name="A", last_name=f.name, relationship="mother") for f in families
    ])
    ChangeRequest.objects.bulk_create([
        ChangeRequest(family=f, kind="family", changes={"city": {"label": "commune", "old": "A", "new": "B"}}) for f in families
    ])


def _rich_parent():
    user, family = parent_with_family(children=3)
    GuardianFactory(family=family, rank=2, civility="M.", first_name="Marc", email="")
    for child in family.children.all():
        VaccinationFactory(child=child)
        AuthorisedPersonFactory(child=child)
        services.change_request_create(family=family, user=user, kind=Kind.HEALTH, child=child, data={"notes": "X"})
    services.change_request_create(family=family, user=user, kind=Kind.FAMILY, data={"city": "Annonay"})
    return user


@pytest.mark.parametrize("url, max_queries", [("/famille/", 11), ("/famille/enfants/", 13), ("/famille/demandes/", 10)])
def test_parent_pages_run_a_bounded_number_of_queries(client, url, max_queries, django_assert_max_num_queries):
    user = _rich_parent()
    client.force_login(user)
    client.get(url)  # warm the organisation row
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _bulk_families(200)
    with django_assert_max_num_queries(max_queries):
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few), (len(few), len(many))


def test_parent_ticks_regulated_allergens_on_the_health_sheet(parent_client, parent, staff_user):
    """The health form has the 14 allergens as boxes; the request reads them out; accepted, the sheet has them."""
    user, family = parent
    child = family.children.get()
    url = reverse("families:health_edit", args=[child.pk])
    form = parent_client.get(url).content.decode()
    assert form.count('name="food_allergens"') == 14 and "Graines de sésame" in form
    data = {name: getattr(child.health, name) for name in services.HEALTH_FIELDS if name != "food_allergens"}
    data = {k: ("on" if v is True else "" if v is None else v) for k, v in data.items() if v is not False}
    data["food_allergens"] = ["nuts", "peanuts"]
    response = parent_client.post(url, data)
    assert response.status_code == 302
    cr = ChangeRequest.objects.get(family=family)
    assert list(cr.changes) == ["food_allergens"]
    assert cr.changes["food_allergens"]["new"] == "peanuts,nuts"
    assert cr.changes["food_allergens"]["new_display"] == "Arachides, fruits à coque"
    assert cr.changes["food_allergens"]["old_display"] == "Aucun"
    services.change_request_accept(request=cr, by=staff_user)
    child.health.refresh_from_db()
    assert child.health.food_allergens == "peanuts,nuts"
    page = parent_client.get(reverse("families:children")).content.decode()
    assert "Arachides, fruits à coque" in page


def test_requests_page_has_its_two_sections_and_survives_a_bad_filter(parent_client):
    body = parent_client.get("/famille/demandes/").content.decode()
    assert '<h2 id="h-dossier"' in body and '<h2 id="h-children"' in body
    assert '<optgroup label="Mes enfants">' in body and '<option value="absences">Absences</option>' in body
    bad = parent_client.get("/famille/demandes/?type=%3Cscript%3E")
    assert bad.status_code == 200 and "<script>" not in bad.content.decode().split("<main")[1].split("</main>")[0]
    only = parent_client.get("/famille/demandes/?type=absences").content.decode()
    assert 'id="h-children"' in only and 'id="h-dossier"' not in only
