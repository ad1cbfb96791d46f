"""« Dupliquer pour la saison suivante »: the date rules, the preview, the copy and its refusals."""
import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Tariff, TariffBracket
from enrolment import rules
from enrolment.models import Activity, BookingWindow, ClosureDay, OpeningPeriod, Unit
from enrolment.services.calendar import school_holidays_import
from enrolment.services.season import SeasonShift, season_copy, season_copy_preview
from portal.errors import EnrolmentError
from portal.models import AuditLog

from .factories import ActivityFactory, GroupFactory, UnitFactory

D = datetime.date


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


class TestDateRules:
    def test_calendar_shift_and_leap_day(self):
        assert rules.shift_year(D(2025, 9, 1)) == D(2026, 9, 1)
        assert rules.shift_year(D(2028, 2, 29)) == D(2029, 2, 28)
        assert rules.shift_year(None) is None

    @pytest.mark.parametrize("day", [D(2025, 9, 3), D(2026, 2, 28), D(2027, 12, 31), D(2028, 2, 29)])
    def test_same_weekday_shift_stays_near_a_year(self, day):
        new = rules.shift_year_same_weekday(day)
        assert new.weekday() == day.weekday()
        assert abs((new - rules.shift_year(day)).days) <= 3

    def test_years_in_names(self):
        assert rules.shift_years_in_text("2025/2026 - CL Mercredis", range(2025, 2027)) == "2026/2027 - CL Mercredis"
        assert rules.shift_years_in_text("Automne 2025", range(2025, 2027)) == "Automne 2026"
        assert rules.shift_years_in_text("Salle 12345 de 1999", range(2025, 2027)) == "Salle 12345 de 1999"

    def test_season_shift_keeps_days_inside_the_new_season(self):
        shift = SeasonShift(D(2025, 9, 1), D(2026, 7, 3))
        assert shift.day(D(2025, 9, 1)) == D(2026, 9, 1)  # the season's first day is the new one's
        assert shift.day(D(2026, 7, 3)) == D(2027, 7, 3)
        assert shift.in_season(D(2025, 9, 2)) == D(2026, 9, 1)  # Tuesday → 52 weeks on is 01/09/2026
        assert shift.in_season(D(2025, 9, 3)) == D(2026, 9, 2)  # a Wednesday stays a Wednesday


def _season():
    activity = ActivityFactory(name="2025/2026 - CL Mercredis", booking_rule="window", auto_validate=False,
                               enrolment_opens=D(2025, 6, 1), enrolment_closes=D(2025, 8, 31))
    OpeningPeriod.objects.create(activity=activity, name="Mercredis 2025/2026", start_date=D(2025, 9, 1),
                                 end_date=D(2026, 7, 3), wednesday=True)
    OpeningPeriod.objects.create(activity=activity, name="Toussaint", start_date=D(2025, 10, 20),
                                 end_date=D(2025, 10, 31), monday=True, tuesday=True, wednesday=True, thursday=True,
                                 friday=True, skip_school_holidays=False)
    GroupFactory(activity=activity, name="Maternelle", school_stage="maternelle", capacity=8)
    GroupFactory(activity=activity, name="Élémentaire", school_stage="elementaire")
    day, morning, meal = (UnitFactory(activity=activity, name=n, code=c, capacity=cap, order=i)
                          for i, (n, c, cap) in enumerate([("Journée", "J", 24), ("Matin", "M", 12), ("Repas", "R", None)]))
    day.incompatible_units.add(morning)
    meal.required_units.add(day, morning)
    BookingWindow.objects.create(activity=activity, name="Automne 2025", period_start=D(2025, 10, 20),
                                 period_end=D(2025, 10, 31), opens_on=D(2025, 9, 22), closes_on=D(2025, 10, 6))
    ClosureDay.objects.create(activity=activity, date=D(2025, 11, 10), reason="Pont")
    Tariff.objects.create(unit=day, label="JOURNÉE 2025", mode="flat", flat_price=Decimal("8.50"),
                          valid_from=D(2025, 9, 1))
    quotient = Tariff.objects.create(unit=meal, label="REPAS", mode="quotient", valid_from=D(2025, 9, 1),
                                     valid_until=D(2026, 7, 3))
    TariffBracket.objects.create(tariff=quotient, quotient_up_to=Decimal("600"), price=Decimal("1.20"))
    TariffBracket.objects.create(tariff=quotient, quotient_up_to=None, price=Decimal("3.40"))
    return activity


@pytest.mark.django_db
class TestSeasonCopy:
    def test_preview_shows_every_part_without_writing(self, django_assert_max_num_queries):
        activity = _season()
        with django_assert_max_num_queries(12):
            (plan,) = season_copy_preview(activity_ids=[activity.pk])
        assert plan.new_name == "2026/2027 - CL Mercredis"
        assert (plan.shift.new_season_start, plan.shift.new_season_end) == (D(2026, 9, 1), D(2027, 7, 3))
        assert plan.new_enrolment_opens == D(2026, 6, 1)
        assert [g.name for g in plan.groups] == ["Maternelle", "Élémentaire"]
        assert [(start, end, days) for _, start, end, days in plan.periods] == [
            (D(2026, 9, 1), D(2027, 7, 3), "mercredi"),
            (D(2026, 10, 19), D(2026, 10, 30), "lundi, mardi, mercredi, jeudi, vendredi")]
        assert [w[1:] for w in plan.windows] == [("Automne 2026", D(2026, 10, 19), D(2026, 10, 30), D(2026, 9, 21),
                                                  D(2026, 10, 5))]
        (label, rows), = plan.extras
        assert label == "Tarifs"
        assert ("Journée", ["JOURNÉE 2026 – 8,50 € – du 01/09/2026"]) in rows
        assert ("Repas", ["REPAS – QF ≤ 600 : 1,20 € ; QF au-delà : 3,40 € – du 01/09/2026 au 03/07/2027"]) in rows
        assert Activity.objects.count() == 1 and not plan.conflict

    def test_preview_queries_do_not_grow_with_activities(self, django_assert_max_num_queries):
        activities = [_season() for _ in range(10)]
        with django_assert_max_num_queries(12):
            plans = season_copy_preview(activity_ids=[a.pk for a in activities])
        assert len(plans) == 10 and all(len(p.extras[0][1]) == 2 for p in plans)

    def test_copy_creates_the_next_season_in_one_go(self, staff_user):
        activity = _season()
        (new,) = season_copy(activity_ids=[activity.pk], by=staff_user)
        new.refresh_from_db()
        assert new.previous_season == activity and new.name == "2026/2027 - CL Mercredis"
        assert (new.booking_rule, new.auto_validate, new.enrolment_closes) == ("window", False, D(2026, 8, 31))
        assert sorted(new.groups.values_list("name", "school_stage", "capacity")) == [
            ("Maternelle", "maternelle", 8), ("Élémentaire", "elementaire", None)]
        units = {u.code: u for u in new.units.all()}
        assert {c: u.capacity for c, u in units.items()} == {"J": 24, "M": 12, "R": None}
        assert list(units["J"].incompatible_units.all()) == [units["M"]]
        assert list(units["M"].incompatible_units.all()) == [units["J"]]
        assert set(units["R"].required_units.all()) == {units["J"], units["M"]}
        wednesdays = new.opening_periods.get(wednesday=True, monday=False)
        assert (wednesdays.name, wednesdays.start_date, wednesdays.end_date) == (
            "Mercredis 2026/2027", D(2026, 9, 1), D(2027, 7, 3))
        holidays = new.opening_periods.get(monday=True)
        assert holidays.start_date.weekday() == 0 and not holidays.skip_school_holidays
        assert new.booking_windows.get().name == "Automne 2026"
        assert not new.closure_days.exists()  # one year's calendar
        flat = Tariff.objects.get(unit=units["J"])
        assert (flat.label, flat.flat_price, flat.valid_from, flat.valid_until) == (
            "JOURNÉE 2026", Decimal("8.50"), D(2026, 9, 1), None)
        meal = Tariff.objects.get(unit=units["R"])
        assert list(meal.brackets.values_list("quotient_up_to", "price")) == [
            (Decimal("600.00"), Decimal("1.20")), (None, Decimal("3.40"))]
        # The old season is untouched.
        assert activity.units.count() == 3 and Tariff.objects.filter(unit__activity=activity).count() == 2
        entry = AuditLog.objects.get(action="enrolment.season_copy")
        assert entry.actor == staff_user and entry.new_values["activities"] == [new.pk]
        assert entry.new_values["Tarifs"] == 2

    def test_a_season_is_copied_once(self, staff_user):
        activity = _season()
        season_copy(activity_ids=[activity.pk], by=staff_user)
        (plan,) = season_copy_preview(activity_ids=[activity.pk])
        assert "Déjà dupliquée" in plan.conflict
        with pytest.raises(EnrolmentError, match="Rien n'a été créé"):
            season_copy(activity_ids=[activity.pk], by=staff_user)
        assert Activity.objects.count() == 2

    def test_an_existing_next_season_typed_by_hand_refuses_the_copy(self, staff_user):
        activity = _season()
        other = ActivityFactory(name="2025/2026 - Autre")
        ActivityFactory(name="2026/2027 - CL Mercredis", activity_type=activity.activity_type,
                        season_start=D(2026, 9, 1), season_end=D(2027, 7, 3))
        with pytest.raises(EnrolmentError, match="La saison suivante existe déjà"):
            season_copy(activity_ids=[other.pk, activity.pk], by=staff_user)
        assert not Activity.objects.filter(previous_season__isnull=False).exists()  # nothing, not even « Autre »
        assert Unit.objects.filter(activity__name__startswith="2026").count() == 0

    def test_holiday_periods_land_on_next_years_holidays(self, staff_user):
        school_holidays_import(school_year=2026)
        school_holidays_import(school_year=2027)
        activity = ActivityFactory(name="2026/2027 - CLV Toussaint", season_start=D(2026, 9, 1),
                                   season_end=D(2027, 7, 3), booking_rule="window")
        OpeningPeriod.objects.create(activity=activity, start_date=D(2026, 10, 19), end_date=D(2026, 10, 30),
                                     monday=True, tuesday=True, wednesday=True, thursday=True, friday=True,
                                     skip_school_holidays=False)
        BookingWindow.objects.create(activity=activity, name="Toussaint 2026", period_start=D(2026, 10, 19),
                                     period_end=D(2026, 10, 30), opens_on=D(2026, 9, 21), closes_on=D(2026, 10, 5))
        (plan,) = season_copy_preview(activity_ids=[activity.pk])
        # Toussaint 2026 (zone A) starts on Saturday 17/10, Toussaint 2027 on Saturday 23/10: 53 weeks later.
        assert [(start, end) for _, start, end, _ in plan.periods] == [(D(2027, 10, 25), D(2027, 11, 5))]
        assert [w[1:] for w in plan.windows] == [("Toussaint 2027", D(2027, 10, 25), D(2027, 11, 5),
                                                  D(2027, 9, 27), D(2027, 10, 11))]
        (new,) = season_copy(activity_ids=[activity.pk], by=staff_user)
        assert new.opening_periods.get().start_date == D(2027, 10, 25)

    def test_no_activity_chosen(self):
        with pytest.raises(EnrolmentError):
            season_copy_preview(activity_ids=[])


@pytest.mark.django_db
class TestSeasonCopyPages:
    def test_admin_action_leads_to_the_preview_then_confirm(self, staff_client):
        activity = _season()
        response = staff_client.post(reverse("admin:enrolment_activity_changelist"), {
            "action": "copy_to_next_season", "_selected_action": [activity.pk]})
        assert response.status_code == 302 and f"activite={activity.pk}" in response["Location"]
        page = staff_client.get(response["Location"]).content.decode()
        assert "2026/2027 - CL Mercredis" in page and "8,50 €" in page and "Créer la saison suivante" in page
        done = staff_client.post(reverse("enrolment_staff:season_copy"), {"activite": [activity.pk]}, follow=True)
        final_url, _ = done.redirect_chain[-1]
        assert "id__in=" in final_url and "e=1" not in final_url
        assert "1 activité(s) créée(s) pour la saison suivante" in done.content.decode()
        assert Activity.objects.filter(previous_season=activity).exists()
        again = staff_client.post(reverse("enrolment_staff:season_copy"), {"activite": [activity.pk]}, follow=True)
        assert "Déjà dupliquée" in again.content.decode() and Activity.objects.count() == 2

    def test_bad_input_is_harmless(self, staff_client):
        url = reverse("enrolment_staff:season_copy")
        assert staff_client.get(url + "?activite=abc&activite=999999").status_code == 200
        response = staff_client.post(url, {"activite": ["x"]}, follow=True)
        assert "Choisissez au moins une activité" in response.content.decode()

    def test_parents_cannot_reach_it(self, client):
        assert client.get(reverse("enrolment_staff:season_copy")).status_code == 302
