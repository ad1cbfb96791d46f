"""« Passage de classe »: the class chain, the preview, the groups that follow the class, once per school year."""
import datetime

import pytest
from django.urls import reverse

from enrolment import rules
from enrolment.models import Booking, Enrolment, MoveUp, MoveUpChange
from enrolment.services.move_up import move_up_apply, move_up_preview
from families.models import Child
from families.tests.factories import ChildFactory, FamilyFactory
from portal.errors import EnrolmentError
from portal.models import AuditLog

from .factories import ActivityFactory, GroupFactory, UnitFactory, enrol

D = datetime.date


@pytest.mark.parametrize("level, new, changes_school", [
    ("TPS", "PS", False), ("PS", "MS", False), ("MS", "GS", False), ("GS", "CP", True), ("CP", "CE1", False),
    ("CE1", "CE2", False), ("CE2", "CM1", False), ("CM1", "CM2", False), ("CM2", "COL", True),
    ("", "", False), ("COL", "COL", False),
])
def test_next_school_level(level, new, changes_school):
    assert rules.next_school_level(level)[0] == new
    assert bool(rules.next_school_level(level)[1]) is changes_school


def _next_season(name="2027/2028 - Mercredis", start=D(2027, 9, 1)):
    activity = ActivityFactory(name=name, season_start=start, season_end=D(start.year + 1, 7, 3))
    maternelle = GroupFactory(activity=activity, name="Maternelle", school_stage="maternelle")
    elementaire = GroupFactory(activity=activity, name="Élémentaire", school_stage="elementaire")
    return activity, maternelle, elementaire


@pytest.fixture
def school(db):
    family = FamilyFactory()
    kids = {level: ChildFactory(family=family, first_name=f"Enfant {level or 'bébé'}", school_level=level,
                                birth_date=D(2021, 3, 1))
            for level in ("PS", "GS", "CM1", "CM2", "")}
    gone = ChildFactory(family=family, first_name="Parti", school_level="GS", is_active=False)
    return family, kids, gone


@pytest.mark.django_db
class TestMoveUp:
    def test_preview_changes_nothing_and_lists_school_changes(self, school, django_assert_max_num_queries):
        family, kids, gone = school
        activity, maternelle, elementaire = _next_season()
        enrol(kids["GS"], activity, maternelle)
        with django_assert_max_num_queries(6):
            plan = move_up_preview(school_year=2027)
        assert {(m.child.first_name, m.old_level, m.new_level) for m in plan.moves} == {
            ("Enfant PS", "PS", "MS"), ("Enfant GS", "GS", "CP"), ("Enfant CM1", "CM1", "CM2"),
            ("Enfant CM2", "CM2", "COL")}
        assert {m.child.first_name for m in plan.school_changes} == {"Enfant GS", "Enfant CM2"}
        assert [(g.enrolment.child, g.old_group, g.new_group) for g in plan.group_moves] == [
            (kids["GS"], maternelle, elementaire)]
        assert plan.by_level[0] == ("Petite section", "Moyenne section", 1)
        assert Child.objects.get(pk=kids["GS"].pk).school_level == "GS"
        assert not MoveUp.objects.exists()

    def test_query_count_does_not_grow_with_children(self, school, django_assert_max_num_queries):
        family, kids, gone = school
        activity, maternelle, elementaire = _next_season()
        for i in range(30):
            child = ChildFactory(family=family, school_level="GS", birth_date=D(2021, 5, 1))
            enrol(child, activity, maternelle)
        with django_assert_max_num_queries(6):
            plan = move_up_preview(school_year=2027)
        assert len(plan.group_moves) == 30

    def test_apply_moves_classes_and_groups_once(self, school, staff_user):
        family, kids, gone = school
        activity, maternelle, elementaire = _next_season()
        last_summer, summer_mat, _ = _next_season("Été 2027", start=D(2027, 7, 5))
        enrolment = enrol(kids["GS"], activity, maternelle)
        summer = enrol(kids["GS"], last_summer, summer_mat)  # July: still in GS
        stays = enrol(kids["PS"], activity, maternelle)
        record = move_up_apply(school_year=2027, by=staff_user)
        levels = dict(Child.objects.filter(family=family).values_list("first_name", "school_level"))
        assert levels == {"Enfant PS": "MS", "Enfant GS": "CP", "Enfant CM1": "CM2", "Enfant CM2": "COL",
                          "Enfant bébé": "", "Parti": "GS"}
        assert Enrolment.objects.get(pk=enrolment.pk).group == elementaire
        assert Enrolment.objects.get(pk=summer.pk).group == summer_mat
        assert Enrolment.objects.get(pk=stays.pk).group == maternelle
        assert (record.children_moved, record.enrolments_moved) == (4, 1)
        flagged = MoveUpChange.objects.get(move_up=record, child=kids["GS"])
        assert flagged.school_change.startswith("entre au CP") and "Maternelle → Élémentaire" in flagged.note
        assert AuditLog.objects.filter(action="enrolment.move_up", family=family).count() == 4
        assert AuditLog.objects.filter(action="enrolment.move_up", family=None, actor=staff_user).count() == 1

        with pytest.raises(EnrolmentError, match="déjà été fait"):
            move_up_apply(school_year=2027, by=staff_user)
        assert Child.objects.get(pk=kids["GS"].pk).school_level == "CP"  # not CE1
        assert move_up_preview(school_year=2027).done == record

    def test_places_counted_in_a_group_are_left_to_staff(self, school, staff_user):
        family, kids, gone = school
        activity, maternelle, elementaire = _next_season()
        maternelle.capacity = 8
        maternelle.save()
        unit = UnitFactory(activity=activity)
        enrolment = enrol(kids["GS"], activity, maternelle)
        Booking.objects.create(child=kids["GS"], unit=unit, date=D(2027, 9, 8), enrolment=enrolment)
        plan = move_up_preview(school_year=2027)
        assert not plan.group_moves
        ((e, reason),) = plan.problems
        assert e == enrolment and "à la main" in reason
        move_up_apply(school_year=2027, by=staff_user)
        assert Enrolment.objects.get(pk=enrolment.pk).group == maternelle
        assert "à la main" in MoveUpChange.objects.get(child=kids["GS"]).note

    def test_no_group_fits(self, school):
        family, kids, gone = school
        activity = ActivityFactory(name="2027/2028 - Maternelle seule", season_start=D(2027, 9, 1),
                                   season_end=D(2028, 7, 3))
        maternelle = GroupFactory(activity=activity, name="Maternelle", school_stage="maternelle")
        enrol(kids["GS"], activity, maternelle)
        ((_, reason),) = move_up_preview(school_year=2027).problems
        assert "aucun groupe ne convient en CP" in reason


@pytest.mark.django_db
class TestMoveUpPage:
    @pytest.fixture
    def staff_client(self, client, staff_user, time_machine):
        time_machine.move_to(datetime.datetime(2027, 6, 20, 10, tzinfo=datetime.timezone.utc))
        client.force_login(staff_user)
        return client

    def test_preview_then_apply_then_record(self, school, staff_client):
        url = reverse("enrolment_staff:move_up")
        page = staff_client.get(url).content.decode()
        assert "Passage de classe 2027/2028" in page and "Changements d'école (2)" in page
        response = staff_client.post(url, {"annee": "2027"}, follow=True)
        page = response.content.decode()
        assert "Passage de classe 2027/2028 fait : 4 enfant(s)" in page and "entre au CP" in page
        again = staff_client.post(url, {"annee": "2027"}, follow=True).content.decode()
        assert "déjà été fait" in again and MoveUp.objects.count() == 1

    def test_bad_year_falls_back(self, staff_client):
        assert staff_client.get(reverse("enrolment_staff:move_up") + "?annee=abc").status_code == 200
        assert staff_client.get(reverse("enrolment_staff:move_up") + "?annee=99999").status_code == 200

    def test_admin_record_pages(self, school, staff_user, admin_client):
        record = move_up_apply(school_year=2027, by=staff_user)
        assert admin_client.get(reverse("admin:enrolment_moveup_changelist")).status_code == 200
        assert admin_client.get(reverse("admin:enrolment_moveup_change", args=[record.pk])).status_code == 200
