"""Staff side: search, invitations, pending change requests first, accept / refuse one by one or in bulk."""
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from families import services
from families.models import ChangeRequest, Invitation
from families.tests.factories import ChildFactory, FamilyFactory, GuardianFactory, parent_with_family
from portal.models import AuditLog

pytestmark = pytest.mark.django_db

Kind = ChangeRequest.Kind


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def city_request(family, user, city="Annonay"):
    return services.change_request_create(family=family, user=user, kind=Kind.FAMILY, data={"city": city})


@pytest.mark.parametrize("term", ["DUPONTEL", "0000", "Jean.Dupontel@Example.org", "Anatole"])
def test_family_search_by_name_number_email_and_child(staff_client, term):
    family = FamilyFactory(name="DUPONTEL")
    GuardianFactory(family=family, email="jean.dupontel@example.org")
    ChildFactory(family=family, first_name="Anatole")
    FamilyFactory(name="AUTRE")
    if term == "0000":
        term = family.number
    response = staff_client.get("/admin/families/family/", {"q": term})
    assert response.status_code == 200
    result = list(response.context["cl"].result_list)
    assert result == [family]


def test_family_change_page_has_guardian_and_child_inlines(staff_client, parent):
    _, family = parent
    body = staff_client.get(f"/admin/families/family/{family.pk}/change/").content.decode()
    assert "Responsables légaux" in body and "Enfants" in body and "Quotient familial" in body


def test_child_change_page_has_health_vaccines_and_persons(staff_client, parent):
    _, family = parent
    child = family.children.get()
    body = staff_client.get(f"/admin/families/child/{child.pk}/change/").content.decode()
    assert "Fiche sanitaire" in body and "Vaccins" in body and "Personnes autorisées" in body


def test_send_invitation_action_on_family(staff_client, staff_user, django_capture_on_commit_callbacks, mailoutbox):
    family = FamilyFactory()
    GuardianFactory(family=family, email="a@example.org", user=None)
    GuardianFactory(family=family, rank=2, civility="M.", email="B@Example.org", user=None)
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/admin/families/family/", {"action": "send_invitation", ACTION_CHECKBOX_NAME: [family.pk]}, follow=True)
    assert "2 invitation(s) envoyée(s)" in response.content.decode()
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.org", "b@example.org"]
    assert Invitation.objects.filter(created_by=staff_user).count() == 2
    assert all(g.user for g in family.guardians.all())


def test_send_invitation_action_on_one_guardian(staff_client, django_capture_on_commit_callbacks, mailoutbox):
    family = FamilyFactory()
    first = GuardianFactory(family=family, email="a@example.org", user=None)
    second = GuardianFactory(family=family, rank=2, civility="M.", email="b@example.org", user=None)
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post("/admin/families/guardian/", {"action": "send_invitation", ACTION_CHECKBOX_NAME: [second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.user is None and second.user is not None
    assert [m.to[0] for m in mailoutbox] == ["b@example.org"]


def test_guardian_without_email_is_reported(staff_client):
    guardian = GuardianFactory(email="", user=None)
    response = staff_client.post("/admin/families/guardian/", {"action": "send_invitation", ACTION_CHECKBOX_NAME: [guardian.pk]}, follow=True)
    assert "pas d&#x27;adresse e-mail" in response.content.decode()
    assert not Invitation.objects.exists()


def test_admin_stores_emails_lowercased(staff_client, parent):
    user, family = parent
    guardian = user.guardian
    data = {
        "family": family.pk, "rank": 1, "user": user.pk, "civility": "Mme", "last_name": "MARTIN", "first_name": "Claire",
        "relationship": "mother", "email": "Claire.NOUVELLE@Example.org", "mobile_phone": "", "work_phone": "",
        "profession": "", "employer": "", "employer_address": "",
    }
    old_email = guardian.email
    response = staff_client.post(f"/admin/families/guardian/{guardian.pk}/change/", data)
    assert response.status_code == 302
    guardian.refresh_from_db()
    user.refresh_from_db()
    assert guardian.email == "claire.nouvelle@example.org"
    # The login follows the e-mail, and the change is audited.
    assert user.username == user.email == "claire.nouvelle@example.org"
    log = AuditLog.objects.get(action="admin.change")
    assert log.old_values["email"] == old_email and log.new_values["email"] == "claire.nouvelle@example.org"
    assert AuditLog.objects.filter(action="guardian.login_change").exists()


def test_admin_refuses_an_email_already_used_by_another_login(staff_client, parent, other_family):
    user, family = parent
    other_user, _ = other_family
    data = {
        "family": family.pk, "rank": 1, "user": user.pk, "civility": "Mme", "last_name": "MARTIN", "first_name": "Claire",
        "relationship": "mother", "email": other_user.email.upper(), "mobile_phone": "", "work_phone": "",
        "profession": "", "employer": "", "employer_address": "",
    }
    response = staff_client.post(f"/admin/families/guardian/{user.guardian.pk}/change/", data)
    assert response.status_code == 200
    assert "déjà l&#x27;identifiant d&#x27;un autre compte" in response.content.decode()


def test_staff_edits_of_the_family_file_are_audited(staff_client, staff_user, parent):
    user, family = parent
    page = staff_client.get(f"/admin/families/family/{family.pk}/change/")
    form = page.context["adminform"].form
    data = {name: ("" if value is None else value) for name, value in form.initial.items() if name in form.fields}
    data = {k: v for k, v in data.items() if v is not False and k != "quotient_proof"}
    data.update(city="Annonay")
    for formset in page.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update({f"{fs.prefix}-TOTAL_FORMS": fs.total_form_count(), f"{fs.prefix}-INITIAL_FORMS": fs.initial_form_count(),
                     f"{fs.prefix}-MIN_NUM_FORMS": 0, f"{fs.prefix}-MAX_NUM_FORMS": 1000})
        for i, f in enumerate(fs.initial_forms):
            for name, value in f.initial.items():
                if name in f.fields and value is not None and value is not False:
                    data[f"{fs.prefix}-{i}-{name}"] = value.pk if hasattr(value, "pk") else value
            data[f"{fs.prefix}-{i}-id"] = f.instance.pk
            data[f"{fs.prefix}-{i}-family"] = family.pk
    data["children-0-first_name"] = "Renommé"
    response = staff_client.post(f"/admin/families/family/{family.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    family.refresh_from_db()
    assert family.city == "Annonay"
    logs = {log.summary.split(" ")[0]: log for log in AuditLog.objects.filter(action="admin.change", actor=staff_user)}
    assert logs["Famille"].old_values == {"city": "Peaugres"} and logs["Famille"].new_values == {"city": "Annonay"}
    assert logs["Enfant"].new_values == {"first_name": "Renommé"}


def test_pending_requests_come_first(staff_client, parent, staff_user):
    user, family = parent
    old_pending = city_request(family, user, "Annonay")
    accepted = city_request(family, user, "Davézieux")
    services.change_request_accept(request=accepted, by=staff_user)
    new_pending = services.change_request_create(family=family, user=user, kind=Kind.FAMILY, data={"home_phone": "04 75 11 11 11"})
    response = staff_client.get("/admin/families/changerequest/")
    result = list(response.context["cl"].result_list)
    assert result == [new_pending, old_pending, accepted]
    assert "• En attente" in response.content.decode()


def test_accept_button_applies_the_change(staff_client, parent, staff_user):
    user, family = parent
    cr = city_request(family, user)
    page = staff_client.get(f"/admin/families/changerequest/{cr.pk}/change/").content.decode()
    assert "Accepter et appliquer" in page and "Motif du refus" in page and "Peaugres" in page and "Annonay" in page
    response = staff_client.post(f"/admin/families/changerequest/{cr.pk}/accepter/", follow=True)
    assert "Demande acceptée et appliquée" in response.content.decode()
    family.refresh_from_db()
    assert family.city == "Annonay"
    assert AuditLog.objects.get(action="change_request.accept").actor == staff_user
    assert "Accepter et appliquer" not in staff_client.get(f"/admin/families/changerequest/{cr.pk}/change/").content.decode()


def test_refuse_button_needs_a_reason(staff_client, parent):
    user, family = parent
    cr = city_request(family, user)
    response = staff_client.post(f"/admin/families/changerequest/{cr.pk}/refuser/", {"reason": ""}, follow=True)
    assert "Indiquez le motif du refus" in response.content.decode()
    cr.refresh_from_db()
    assert cr.status == ChangeRequest.Status.PENDING
    staff_client.post(f"/admin/families/changerequest/{cr.pk}/refuser/", {"reason": "Justificatif manquant"})
    cr.refresh_from_db()
    family.refresh_from_db()
    assert cr.status == ChangeRequest.Status.REFUSED and cr.refusal_reason == "Justificatif manquant"
    assert family.city == "Peaugres"


def test_get_on_decision_urls_changes_nothing(staff_client, parent):
    user, family = parent
    cr = city_request(family, user)
    assert staff_client.get(f"/admin/families/changerequest/{cr.pk}/accepter/").status_code == 302
    cr.refresh_from_db()
    assert cr.status == ChangeRequest.Status.PENDING


def test_bulk_accept(staff_client, parent, other_family):
    user, family = parent
    other_user, other = other_family
    crs = [city_request(family, user), city_request(other, other_user, "Quintenas")]
    response = staff_client.post("/admin/families/changerequest/", {
        "action": "accept_selected", ACTION_CHECKBOX_NAME: [cr.pk for cr in crs]}, follow=True)
    assert "2 demande(s) acceptée(s)" in response.content.decode()
    family.refresh_from_db()
    other.refresh_from_db()
    assert (family.city, other.city) == ("Annonay", "Quintenas")


def test_bulk_refuse_asks_for_a_reason(staff_client, parent):
    user, family = parent
    crs = [city_request(family, user), city_request(family, user, "Serrières")]
    ids = [cr.pk for cr in crs]
    form = staff_client.post("/admin/families/changerequest/", {"action": "refuse_selected", ACTION_CHECKBOX_NAME: ids})
    assert form.status_code == 200 and "Motif du refus" in form.content.decode()
    assert ChangeRequest.objects.filter(status="pending").count() == 2
    empty = staff_client.post("/admin/families/changerequest/", {"action": "refuse_selected", "apply": "1", ACTION_CHECKBOX_NAME: ids, "reason": ""})
    assert empty.status_code == 200
    assert ChangeRequest.objects.filter(status="pending").count() == 2
    done = staff_client.post("/admin/families/changerequest/", {
        "action": "refuse_selected", "apply": "1", ACTION_CHECKBOX_NAME: ids, "reason": "Doublon"}, follow=True)
    assert "2 demande(s) refusée(s)" in done.content.decode()
    assert set(ChangeRequest.objects.values_list("refusal_reason", flat=True)) == {"Doublon"}
    family.refresh_from_db()
    assert family.city == "Peaugres"


def test_parent_cannot_post_decisions(parent_client, parent):
    user, family = parent
    cr = city_request(family, user)
    response = parent_client.post(f"/admin/families/changerequest/{cr.pk}/accepter/")
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    cr.refresh_from_db()
    assert cr.status == ChangeRequest.Status.PENDING


def test_staff_search_changelists_render(staff_client, parent):
    for url in ("/admin/families/guardian/?q=claire", "/admin/families/child/?q=MARTIN", "/admin/families/invitation/",
                "/admin/families/changerequest/?status__exact=pending"):
        assert staff_client.get(url).status_code == 200, url
