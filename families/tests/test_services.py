"""Change requests: only what changed is recorded; accepted → applied atomically and audited; refused → nothing."""
import datetime

import pytest

from families import services
from families.models import AuthorisedPerson, ChangeRequest, Child, ChildHealth, Family
from families.tests.factories import AuthorisedPersonFactory, ChildFactory, GuardianFactory, StaffFactory, parent_with_family
from portal.errors import FamilyError
from portal.models import AuditLog, Organisation

pytestmark = pytest.mark.django_db

Kind = ChangeRequest.Kind


@pytest.fixture
def staff():
    return StaffFactory()


def address_request(family, user, **extra):
    data = {"address_line1": "3 place de la Liberté", "postcode": "07100", "city": "Annonay", **extra}
    return services.change_request_create(family=family, user=user, kind=Kind.FAMILY, data=data)


def test_only_changed_fields_are_recorded_with_old_and_new(parent):
    user, family = parent
    data = {name: getattr(family, name) for name in services.FAMILY_FIELDS}
    data["city"] = "Annonay"
    data["home_phone"] = "04 75 99 88 77"
    cr = services.change_request_create(family=family, user=user, kind=Kind.FAMILY, data=data)
    assert set(cr.changes) == {"city", "home_phone"}
    assert cr.changes["city"]["old"] == "Peaugres" and cr.changes["city"]["new"] == "Annonay"
    assert cr.changes["city"]["label"] == "commune"
    assert cr.status == ChangeRequest.Status.PENDING and cr.requested_by == user
    family.refresh_from_db()
    assert family.city == "Peaugres"


def test_no_change_is_refused(parent):
    user, family = parent
    with pytest.raises(FamilyError, match="Aucune modification"):
        services.change_request_create(family=family, user=user, kind=Kind.FAMILY, data={"city": family.city})
    assert not ChangeRequest.objects.exists()


def test_accept_applies_audits_and_emails_the_family(parent, staff, django_capture_on_commit_callbacks, mailoutbox):
    user, family = parent
    cr = address_request(family, user)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_accept(request=cr, by=staff)
    family.refresh_from_db()
    assert (family.address_line1, family.city, family.postcode) == ("3 place de la Liberté", "Annonay", "07100")
    cr.refresh_from_db()
    assert cr.status == ChangeRequest.Status.ACCEPTED and cr.decided_by == staff and cr.decided_at
    log = AuditLog.objects.get(action="change_request.accept")
    assert log.actor == staff and log.family == family
    assert log.old_values["city"] == "Peaugres" and log.new_values["city"] == "Annonay"
    assert len(mailoutbox) == 1
    assert "acceptée" in mailoutbox[0].subject
    assert "Annonay" in mailoutbox[0].body


def test_accept_twice_is_refused(parent, staff):
    user, family = parent
    cr = address_request(family, user)
    services.change_request_accept(request=cr, by=staff)
    with pytest.raises(FamilyError, match="déjà été traitée"):
        services.change_request_accept(request=cr, by=staff)
    with pytest.raises(FamilyError, match="déjà été traitée"):
        services.change_request_refuse(request=cr, by=staff, reason="Trop tard")


def test_accept_is_all_or_nothing(parent, staff, monkeypatch):
    user, family = parent
    cr = address_request(family, user)

    def broken_audit(**kwargs):
        raise RuntimeError("disque plein")

    monkeypatch.setattr(AuditLog.objects, "create", broken_audit)
    with pytest.raises(RuntimeError):
        services.change_request_accept(request=cr, by=staff)
    family.refresh_from_db()
    cr.refresh_from_db()
    assert family.city == "Peaugres"
    assert cr.status == ChangeRequest.Status.PENDING


def test_refuse_changes_nothing_and_tells_the_reason(parent, staff, django_capture_on_commit_callbacks, mailoutbox):
    user, family = parent
    cr = address_request(family, user)
    with pytest.raises(FamilyError, match="motif"):
        services.change_request_refuse(request=cr, by=staff, reason="  ")
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_refuse(request=cr, by=staff, reason="Justificatif de domicile manquant.")
    family.refresh_from_db()
    cr.refresh_from_db()
    assert family.city == "Peaugres"
    assert cr.status == ChangeRequest.Status.REFUSED and cr.refusal_reason == "Justificatif de domicile manquant."
    assert AuditLog.objects.get(action="change_request.refuse").actor == staff
    assert "refusée" in mailoutbox[0].subject and "Justificatif de domicile manquant." in mailoutbox[0].body


def test_both_guardians_with_email_are_told(parent, staff, django_capture_on_commit_callbacks, mailoutbox):
    user, family = parent
    GuardianFactory(family=family, rank=2, civility="M.", first_name="Marc", email="marc@example.org")
    cr = address_request(family, user)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_request_accept(request=cr, by=staff)
    assert sorted(m.to[0] for m in mailoutbox) == sorted([user.email, "marc@example.org"])


def test_direct_policy_applies_at_once(parent):
    user, family = parent
    org = Organisation.current()
    org.policy_family = Organisation.ChangePolicy.DIRECT
    org.save()
    cr = address_request(family, user)
    family.refresh_from_db()
    assert family.city == "Annonay"
    assert cr.status == ChangeRequest.Status.ACCEPTED and cr.decided_by is None
    assert AuditLog.objects.get(action="change_request.apply").actor == user


def test_policies_are_per_kind(parent):
    user, family = parent
    org = Organisation.current()
    org.policy_guardian = Organisation.ChangePolicy.DIRECT
    org.save()
    guardian = user.guardian
    cr = services.change_request_create(family=family, user=user, kind=Kind.GUARDIAN, target=guardian,
                                        data={"mobile_phone": "07 11 22 33 44"})
    assert cr.status == ChangeRequest.Status.ACCEPTED
    guardian.refresh_from_db()
    assert guardian.mobile_phone == "07 11 22 33 44"
    assert address_request(family, user).status == ChangeRequest.Status.PENDING


def test_email_is_never_changeable_by_a_parent(parent):
    user, family = parent
    org = Organisation.current()
    org.policy_guardian = Organisation.ChangePolicy.DIRECT
    org.save()
    with pytest.raises(FamilyError, match="seul le service"):
        services.change_request_create(family=family, user=user, kind=Kind.GUARDIAN, target=user.guardian,
                                       data={"email": "pirate@example.org"})
    user.guardian.refresh_from_db()
    assert user.guardian.email == user.email


def test_unknown_fields_are_refused(parent):
    user, family = parent
    with pytest.raises(FamilyError):
        services.change_request_create(family=family, user=user, kind=Kind.FAMILY, data={"quotient": "100"})


def test_new_child_accepted_creates_the_child_with_a_health_sheet(parent, staff):
    user, family = parent
    cr = services.change_request_create(family=family, user=user, kind=Kind.NEW_CHILD, data={
        "first_name": "Margot", "last_name": family.name, "birth_date": datetime.date(2023, 3, 14), "sex": "F",
        "school": "", "school_level": "",
    })
    assert cr.changes["birth_date"]["new"] == "2023-03-14" and cr.changes["birth_date"]["new_display"] == "14/03/2023"
    assert "school" not in cr.changes
    assert not Child.objects.filter(first_name="Margot").exists()
    services.change_request_accept(request=cr, by=staff)
    child = Child.objects.get(first_name="Margot")
    assert child.family == family and child.birth_date == datetime.date(2023, 3, 14)
    assert ChildHealth.objects.filter(child=child).exists()
    cr.refresh_from_db()
    assert cr.child == child and cr.target_id == child.pk


def test_new_child_always_waits_for_staff_even_with_direct_policy(parent):
    user, family = parent
    org = Organisation.current()
    org.policy_child = Organisation.ChangePolicy.DIRECT
    org.save()
    cr = services.change_request_create(family=family, user=user, kind=Kind.NEW_CHILD, data={
        "first_name": "Margot", "last_name": family.name, "birth_date": "2023-03-14", "sex": "F"})
    assert cr.status == ChangeRequest.Status.PENDING


def test_health_sheet_change_accepted(parent, staff):
    user, family = parent
    child = family.children.get()
    cr = services.change_request_create(family=family, user=user, kind=Kind.HEALTH, child=child,
                                        data={"allergies": "Arachides, kiwi", "glasses": True})
    assert cr.changes["glasses"]["old_display"] == "Non" and cr.changes["glasses"]["new_display"] == "Oui"
    services.change_request_accept(request=cr, by=staff)
    child.health.refresh_from_db()
    assert child.health.allergies == "Arachides, kiwi" and child.health.glasses


def test_health_sheet_is_created_when_missing(parent, staff):
    user, family = parent
    child = family.children.get()
    child.health.delete()
    cr = services.change_request_create(family=family, user=user, kind=Kind.HEALTH, child=child, data={"pai": True})
    services.change_request_accept(request=cr, by=staff)
    assert ChildHealth.objects.get(child=child).pai


def test_authorised_person_added_and_changed(parent, staff):
    user, family = parent
    child = family.children.get()
    cr = services.change_request_create(family=family, user=user, kind=Kind.AUTHORISED_PERSON, child=child, data={
        "first_name": "Odile", "last_name": "CHAPUIS", "relationship": "Grand-mère", "phone": "06 81 22 43 90",
        "can_pick_up": True, "emergency_contact": False})
    services.change_request_accept(request=cr, by=staff)
    person = AuthorisedPerson.objects.get(child=child)
    assert person.first_name == "Odile" and person.can_pick_up
    cr2 = services.change_request_create(family=family, user=user, kind=Kind.AUTHORISED_PERSON, target=person,
                                         data={"phone": "06 00 00 00 09"})
    assert cr2.child == child and set(cr2.changes) == {"phone"}
    services.change_request_accept(request=cr2, by=staff)
    person.refresh_from_db()
    assert person.phone == "06 00 00 00 09"


def test_another_familys_object_cannot_be_targeted(parent, other_family):
    user, family = parent
    other_user, other = other_family
    other_child = other.children.get()
    with pytest.raises(FamilyError):
        services.change_request_create(family=family, user=user, kind=Kind.CHILD, target=other_child,
                                       data={"first_name": "Pirate"})
    with pytest.raises(FamilyError):
        services.change_request_create(family=family, user=user, kind=Kind.GUARDIAN, target=other_user.guardian,
                                       data={"first_name": "Pirate"})
    other_child.refresh_from_db()
    assert other_child.first_name != "Pirate"
    assert not ChangeRequest.objects.exists()


def test_accepting_when_the_target_is_gone_changes_nothing(parent, staff):
    user, family = parent
    child = family.children.get()
    person = AuthorisedPersonFactory(child=child)
    cr = services.change_request_create(family=family, user=user, kind=Kind.AUTHORISED_PERSON, target=person,
                                        data={"phone": "06 00 00 00 09"})
    person.delete()
    with pytest.raises(FamilyError, match="n'existe plus"):
        services.change_request_accept(request=cr, by=staff)
    cr.refresh_from_db()
    assert cr.status == ChangeRequest.Status.PENDING


def test_child_change_accepted(parent, staff):
    user, family = parent
    child = family.children.get()
    cr = services.change_request_create(family=family, user=user, kind=Kind.CHILD, target=child,
                                        data={"school_level": "CE2", "image_rights": True})
    assert cr.changes["school_level"]["old_display"] == "CE1"
    services.change_request_accept(request=cr, by=staff)
    child.refresh_from_db()
    assert child.school_level == "CE2" and child.image_rights
    assert Family.objects.count() == 1
