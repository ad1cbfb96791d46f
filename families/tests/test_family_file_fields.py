"""Issue 20 on the family file: a guardian's own address (separated parents), the vaccine dates parents
declare, the disability (MDPH) fields of the health sheet — rules, services, views, isolation, query counts."""
import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from families import gdpr, rules, services
from families.models import ChangeRequest, ChildHealth, Guardian, Vaccination
from families.tests.factories import GuardianFactory, StaffFactory, VaccinationFactory, parent_with_family
from portal.errors import FamilyError
from portal.models import Organisation

pytestmark = pytest.mark.django_db

Kind = ChangeRequest.Kind
BIRTH = datetime.date(2018, 5, 14)  # the factory child's birth date


def _direct(attr):
    org = Organisation.current()
    setattr(org, attr, Organisation.ChangePolicy.DIRECT)
    org.save()


def guardian_form_data(guardian, **changes):
    data = {name: getattr(guardian, name) for name in services.GUARDIAN_FIELDS}
    data.update(changes)
    return {k: ("" if v is None else v) for k, v in data.items()}


# --- Pure rules ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("day, problem", [
    (datetime.date(2019, 1, 1), None),
    (BIRTH, None),
    (datetime.date(2026, 3, 10), None),
    (datetime.date(2026, 3, 11), "La date du vaccin ne peut pas être dans le futur."),
    (datetime.date(2018, 5, 13), "La date du vaccin ne peut pas précéder la naissance de l'enfant (14/05/2018)."),
    (None, "Indiquez la date du vaccin."),
])
def test_vaccination_date_rule(day, problem):
    assert rules.vaccination_date_problem(day=day, birth_date=BIRTH, today=datetime.date(2026, 3, 10)) == problem


@pytest.mark.parametrize("value, ok", [("07100", True), ("7100", False), ("071000", False), ("07 10", False),
                                       ("", False), ("０７１００", False)])
def test_postcode_rule(value, ok):
    assert (rules.postcode_problem(value) is None) == ok


# --- Guardian's own address ---------------------------------------------------------------------------

def test_postal_address_is_the_guardians_own_when_set_else_the_familys(parent):
    user, family = parent
    guardian = user.guardian
    assert guardian.same_address and guardian.own_address_lines == []
    assert guardian.postal_address_lines == family.address_lines == ["12 rue des Écoles", "07340 Peaugres"]
    guardian.same_address = False
    guardian.address_line1, guardian.postcode, guardian.city = "5 rue Neuve", "07100", "Annonay"
    assert guardian.postal_address_lines == ["5 rue Neuve", "07100 Annonay"]


def test_parent_asks_for_an_own_address_and_staff_accept_it(parent_client, parent):
    user, family = parent
    guardian = user.guardian
    url = reverse("families:guardian_edit", args=[guardian.pk])
    page = parent_client.get(url).content.decode()
    assert "Même adresse que la famille" in page and "Une autre adresse" in page
    data = guardian_form_data(guardian, same_address="False", address_line1="5 rue Neuve", postcode="07100",
                              city="Annonay", home_phone="0475112233")
    response = parent_client.post(url, data)
    assert response.status_code == 302
    cr = ChangeRequest.objects.get(family=family)
    assert cr.kind == Kind.GUARDIAN and cr.status == ChangeRequest.Status.PENDING
    assert set(cr.changes) == {"same_address", "address_line1", "postcode", "city", "home_phone"}
    assert cr.changes["same_address"]["new_display"] == "Non"
    assert cr.changes["home_phone"]["new"] == "04 75 11 22 33"
    guardian.refresh_from_db()
    assert guardian.same_address
    services.change_request_accept(request=cr, by=StaffFactory())
    guardian.refresh_from_db()
    assert guardian.own_address_lines == ["5 rue Neuve", "07100 Annonay"]
    body = parent_client.get(reverse("families:dossier")).content.decode()
    assert "5 rue Neuve" in body and "04 75 11 22 33" in body


def test_own_address_needs_address_postcode_and_city_in_french(parent_client, parent):
    user, family = parent
    guardian = user.guardian
    url = reverse("families:guardian_edit", args=[guardian.pk])
    response = parent_client.post(url, guardian_form_data(guardian, same_address="False", address_line1="5 rue Neuve",
                                                           postcode="7100"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Le code postal doit comporter 5 chiffres." in body and "Indiquez la commune." in body
    assert 'value="5 rue Neuve"' in body
    assert not ChangeRequest.objects.exists()


def test_back_to_the_family_address_clears_the_own_one_directly(parent_client, parent):
    user, family = parent
    _direct("policy_guardian")
    guardian = user.guardian
    Guardian.objects.filter(pk=guardian.pk).update(same_address=False, address_line1="5 rue Neuve", postcode="07100",
                                                   city="Annonay", home_phone="061234567890")  # a twelve-digit import
    guardian.refresh_from_db()
    url = reverse("families:guardian_edit", args=[guardian.pk])
    response = parent_client.post(url, guardian_form_data(guardian, same_address="True"), follow=True)
    assert "Vos modifications sont enregistrées." in response.content.decode()
    guardian.refresh_from_db()
    assert guardian.same_address and guardian.address_line1 == guardian.city == guardian.home_phone == ""
    assert ChangeRequest.objects.get().status == ChangeRequest.Status.ACCEPTED


def test_a_stored_twelve_digit_home_phone_does_not_block_another_edit(parent_client, parent):
    user, family = parent
    guardian = user.guardian
    Guardian.objects.filter(pk=guardian.pk).update(same_address=False, address_line1="5 rue Neuve", postcode="07100",
                                                   city="Annonay", home_phone="061234567890")
    guardian.refresh_from_db()
    url = reverse("families:guardian_edit", args=[guardian.pk])
    assert parent_client.post(url, guardian_form_data(guardian, same_address="False", profession="Infirmière")).status_code == 302
    assert set(ChangeRequest.objects.get().changes) == {"profession"}


def test_own_address_in_gdpr_export_and_staff_page(client, parent):
    user, family = parent
    second = GuardianFactory(family=family, rank=2, civility="M.", first_name="Marc", email="", user=None,
                             same_address=False, address_line1="8 chemin des Vignes", postcode="07430",
                             city="Davézieux", home_phone="04 75 22 33 44")
    export = gdpr.family_file_export(family)
    by_rank = {g["responsable"]: g for g in export["responsables"]}
    assert by_rank[1]["adresse"] == "même adresse que la famille"
    assert by_rank[2]["adresse"] == ["8 chemin des Vignes", "07430 Davézieux"]
    assert by_rank[2]["telephone_domicile"] == "04 75 22 33 44"
    client.force_login(StaffFactory())
    body = client.get(reverse("families_staff:family", args=[family.pk])).content.decode()
    assert "8 chemin des Vignes, 07430 Davézieux" in body and "04 75 22 33 44" in body
    assert second.postal_address_lines == ["8 chemin des Vignes", "07430 Davézieux"]


# --- Vaccines ------------------------------------------------------------------------------------------

def test_parent_adds_a_vaccine_and_staff_accept_it(parent_client, parent):
    user, family = parent
    child = family.children.get()
    url = reverse("families:vaccination_add", args=[child.pk])
    form = parent_client.get(url).content.decode()
    assert "<datalist" in form and "ROR (rougeole, oreillons, rubéole)" in form and "BCG (tuberculose)" in form
    assert f'min="{BIRTH.isoformat()}"' in form
    response = parent_client.post(url, {"vaccine": "Hépatite B", "date": "2018-07-20"})
    assert response.status_code == 302 and response.url.endswith(f"#enfant-{child.pk}")
    cr = ChangeRequest.objects.get()
    assert cr.kind == Kind.VACCINATION and cr.child == child and cr.target_id is None
    assert cr.target_label == f"Nouveau vaccin pour {child.first_name}"
    assert cr.changes["date"]["new_display"] == "20/07/2018"
    assert not Vaccination.objects.exists()
    services.change_request_accept(request=cr, by=StaffFactory())
    vaccination = Vaccination.objects.get()
    assert (vaccination.child, vaccination.vaccine, vaccination.date) == (child, "Hépatite B", datetime.date(2018, 7, 20))
    cr.refresh_from_db()
    assert cr.target_id == vaccination.pk
    page = parent_client.get(reverse("families:children")).content.decode()
    assert "Hépatite B" in page and "20/07/2018" in page


def test_vaccine_dates_in_the_future_or_before_birth_are_refused(parent_client, parent):
    user, family = parent
    child = family.children.get()
    url = reverse("families:vaccination_add", args=[child.pk])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    body = parent_client.post(url, {"vaccine": "ROR", "date": tomorrow.isoformat()}).content.decode()
    assert "La date du vaccin ne peut pas être dans le futur." in body and 'value="ROR"' in body
    body = parent_client.post(url, {"vaccine": "ROR", "date": "2018-01-01"}).content.decode()
    assert "ne peut pas précéder la naissance de l&#x27;enfant (14/05/2018)" in body
    body = parent_client.post(url, {"vaccine": "", "date": "pas une date"}).content.decode()
    assert "Indiquez le nom du vaccin." in body and "Saisissez une date valide" in body
    assert not ChangeRequest.objects.exists()
    with pytest.raises(FamilyError, match="dans le futur"):
        services.change_request_create(family=family, user=user, kind=Kind.VACCINATION, child=child,
                                       data={"vaccine": "ROR", "date": tomorrow})


def test_parent_changes_a_vaccine_date_directly(parent_client, parent):
    user, family = parent
    _direct("policy_child")
    child = family.children.get()
    vaccination = VaccinationFactory(child=child, vaccine="ROR", date=datetime.date(2019, 6, 1))
    url = reverse("families:vaccination_edit", args=[child.pk, vaccination.pk])
    assert 'value="2019-06-01"' in parent_client.get(url).content.decode()
    response = parent_client.post(url, {"vaccine": "ROR", "date": "2019-06-15"}, follow=True)
    assert "Vos modifications sont enregistrées." in response.content.decode()
    vaccination.refresh_from_db()
    assert vaccination.date == datetime.date(2019, 6, 15)
    cr = ChangeRequest.objects.get()
    assert list(cr.changes) == ["date"] and cr.status == ChangeRequest.Status.ACCEPTED


def test_parent_asks_to_remove_a_vaccine(parent_client, parent, django_capture_on_commit_callbacks):
    user, family = parent
    child = family.children.get()
    vaccination = VaccinationFactory(child=child, vaccine="BCG", date=datetime.date(2018, 6, 1))
    url = reverse("families:vaccination_delete", args=[child.pk, vaccination.pk])
    page = parent_client.get(url).content.decode()
    assert "Demander la suppression" in page and "BCG" in page and "01/06/2018" in page
    assert parent_client.post(url).status_code == 302
    cr = ChangeRequest.objects.get()
    assert cr.deletion and cr.target_id == vaccination.pk and cr.target_label.startswith("Suppression : Vaccin BCG")
    assert cr.changes["vaccine"] == {"label": "vaccin", "old": "BCG", "new": None, "old_display": "BCG",
                                     "new_display": "(supprimé)"}
    assert Vaccination.objects.filter(pk=vaccination.pk).exists()
    listing = parent_client.get(reverse("families:requests")).content.decode()
    assert "Suppression : Vaccin BCG" in listing and "(supprimé)" in listing
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_accept(request=cr, by=StaffFactory())
    assert not Vaccination.objects.filter(pk=vaccination.pk).exists()


def test_removing_a_vaccine_already_removed_says_so(parent, staff_user):
    user, family = parent
    child = family.children.get()
    vaccination = VaccinationFactory(child=child)
    cr = services.change_request_create(family=family, user=user, kind=Kind.VACCINATION, target=vaccination,
                                        data={}, delete=True)
    vaccination.delete()
    with pytest.raises(FamilyError, match="n'existe plus"):
        services.change_request_accept(request=cr, by=staff_user)


def test_only_vaccines_can_be_removed(parent):
    user, family = parent
    with pytest.raises(FamilyError, match="ne peut pas être supprimée"):
        services.change_request_create(family=family, user=user, kind=Kind.GUARDIAN, target=user.guardian, data={},
                                       delete=True)


def test_vaccine_urls_answer_404_for_another_family(parent_client, parent, other_family):
    _, family = parent
    other_user, other = other_family
    other_child = other.children.get()
    other_vaccination = VaccinationFactory(child=other_child, vaccine="ROR")
    own_child = family.children.get()
    urls = [
        reverse("families:vaccination_add", args=[other_child.pk]),
        reverse("families:vaccination_edit", args=[other_child.pk, other_vaccination.pk]),
        reverse("families:vaccination_delete", args=[other_child.pk, other_vaccination.pk]),
        # Own child, another family's vaccine.
        reverse("families:vaccination_edit", args=[own_child.pk, other_vaccination.pk]),
        reverse("families:vaccination_delete", args=[own_child.pk, other_vaccination.pk]),
    ]
    for url in urls:
        assert parent_client.get(url).status_code == 404, url
        assert parent_client.post(url, {"vaccine": "Pirate", "date": "2019-01-01"}).status_code == 404, url
    assert not ChangeRequest.objects.exists()
    assert Vaccination.objects.get(pk=other_vaccination.pk).vaccine == "ROR"


# --- Disability (MDPH) --------------------------------------------------------------------------------

def test_parent_ticks_mdph_with_accommodations(parent_client, parent, staff_user):
    user, family = parent
    child = family.children.get()
    url = reverse("families:health_edit", args=[child.pk])
    form = parent_client.get(url).content.decode()
    assert "Situation de handicap reconnue (MDPH)" in form and "Aménagements souhaités" in form
    data = {name: getattr(child.health, name) for name in services.HEALTH_FIELDS}
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    data.update(disability="on", accommodations="AESH le midi")
    assert parent_client.post(url, data).status_code == 302
    cr = ChangeRequest.objects.get()
    assert cr.kind == Kind.HEALTH and set(cr.changes) == {"disability", "accommodations"}
    assert cr.changes["disability"]["label"] == "situation de handicap reconnue (MDPH)"
    services.change_request_accept(request=cr, by=staff_user)
    health = ChildHealth.objects.get(child=child)
    assert health.disability and health.accommodations == "AESH le midi"
    page = parent_client.get(reverse("families:children")).content.decode()
    assert "Handicap reconnu (MDPH)" in page and "AESH le midi" in page
    assert gdpr.children_export(family)[0]["fiche_sanitaire"]["handicap_reconnu_mdph"] is True
    parent_client.force_login(staff_user)
    staff_page = parent_client.get(reverse("families_staff:family", args=[family.pk])).content.decode()
    assert "Handicap reconnu (MDPH)" in staff_page and "AESH le midi" in staff_page


# --- Query counts --------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, max_queries", [("families:dossier", 11), ("families:children", 13)])
def test_family_file_pages_do_not_grow_with_vaccines_and_addresses(client, url, max_queries, django_assert_max_num_queries):
    user, family = parent_with_family(children=1)
    client.force_login(user)
    for _ in range(2):  # warm the organisation row and the configuration version
        client.get(reverse(url))
    with django_assert_max_num_queries(max_queries) as few:
        assert client.get(reverse(url)).status_code == 200
    GuardianFactory(family=family, rank=2, civility="M.", first_name="Marc", email="", user=None, same_address=False,
                    address_line1="8 chemin des Vignes", postcode="07430", city="Davézieux")
    for child in [family.children.get()] + [parent_with_family(children=1)[1].children.get() for _ in range(3)]:
        child.family = family
        child.save()
        ChildHealth.objects.filter(child=child).update(disability=True, accommodations="AESH")
        Vaccination.objects.bulk_create([Vaccination(child=child, vaccine=f"Vaccin {i}", date=BIRTH) for i in range(25)])
    with django_assert_max_num_queries(max_queries) as many:
        body = client.get(reverse(url)).content.decode()
    assert len(few) == len(many), (len(few), len(many))
    assert ("8 chemin des Vignes" if url == "families:dossier" else "Vaccin 24") in body


def test_staff_family_page_query_count_does_not_grow_with_children(client, django_assert_max_num_queries):
    client.force_login(StaffFactory())
    counts = []
    for children in (1, 4):
        user, family = parent_with_family(children=children)
        for _ in range(2):
            client.get(reverse("families_staff:family", args=[family.pk]))
        with django_assert_max_num_queries(40) as captured:
            assert client.get(reverse("families_staff:family", args=[family.pk])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
