import datetime

import pytest

from enrolment import rules

UTC = datetime.timezone.utc
P = rules.PARIS


def paris(*args):
    return datetime.datetime(*args, tzinfo=P)


D = datetime.date
MONTHLY = rules.Policy(rules.MONTHLY, deadline_day=20)


class TestMonthlyDeadline:
    def test_last_minute_of_the_20th_is_still_open(self):
        assert rules.can_change(D(2025, 12, 3), MONTHLY, paris(2025, 11, 20, 23, 59, 59)).ok

    def test_midnight_of_the_21st_is_closed_with_reason(self):
        decision = rules.can_change(D(2025, 12, 3), MONTHLY, paris(2025, 11, 21, 0, 0))
        assert not decision.ok
        assert "20/11/2025 à 23 h 59" in decision.reason
        assert "Hors délai" in decision.reason

    def test_deadline_in_utc_winter_and_summer(self):
        # April 2026 closes at 21 March 00:00 CET = 20 March 23:00 UTC (before the DST change of 29 March).
        assert rules.booking_closes_at(D(2026, 4, 1), MONTHLY) == datetime.datetime(2026, 3, 20, 23, 0, tzinfo=UTC)
        # May 2026 closes at 21 April 00:00 CEST = 20 April 22:00 UTC (after it).
        assert rules.booking_closes_at(D(2026, 5, 6), MONTHLY) == datetime.datetime(2026, 4, 20, 22, 0, tzinfo=UTC)

    def test_utc_instants_around_the_edge_in_summer_time(self):
        day = D(2026, 5, 6)
        assert rules.can_change(day, MONTHLY, datetime.datetime(2026, 4, 20, 21, 59, 59, tzinfo=UTC)).ok
        assert not rules.can_change(day, MONTHLY, datetime.datetime(2026, 4, 20, 22, 0, tzinfo=UTC)).ok

    def test_autumn_dst_change_october(self):
        # November 2026 closes at 21 Oct 00:00 CEST (DST ends on 25 Oct) = 20 Oct 22:00 UTC.
        assert rules.booking_closes_at(D(2026, 11, 4), MONTHLY) == datetime.datetime(2026, 10, 20, 22, 0, tzinfo=UTC)
        # December 2026 closes at 21 Nov 00:00 CET = 20 Nov 23:00 UTC.
        assert rules.booking_closes_at(D(2026, 12, 2), MONTHLY) == datetime.datetime(2026, 11, 20, 23, 0, tzinfo=UTC)

    def test_current_month_is_closed(self):
        assert not rules.can_change(D(2025, 11, 26), MONTHLY, paris(2025, 11, 3, 9, 0)).ok

    def test_far_future_month_is_open(self):
        assert rules.can_change(D(2026, 3, 4), MONTHLY, paris(2025, 11, 25, 9, 0)).ok

    def test_deadline_day_clamped_to_short_month(self):
        policy = rules.Policy(rules.MONTHLY, deadline_day=31)
        assert rules.monthly_deadline_date(D(2026, 3, 4), 31) == D(2026, 2, 28)
        assert rules.can_change(D(2026, 3, 4), policy, paris(2026, 2, 28, 23, 59)).ok
        assert not rules.can_change(D(2026, 3, 4), policy, paris(2026, 3, 1, 0, 0)).ok

    def test_january_deadline_is_in_december_of_previous_year(self):
        assert rules.monthly_deadline_date(D(2026, 1, 7), 20) == D(2025, 12, 20)


class TestWindow:
    policy = rules.Policy(rules.WINDOW, windows=(
        rules.Window(D(2026, 2, 9), D(2026, 2, 20), D(2026, 1, 5), D(2026, 2, 4), "Hiver 2026"),
    ))

    def test_outside_any_window(self):
        decision = rules.can_change(D(2026, 3, 4), self.policy, paris(2026, 1, 10, 9, 0))
        assert not decision.ok and "Hors période" in decision.reason

    def test_before_opening(self):
        decision = rules.can_change(D(2026, 2, 10), self.policy, paris(2026, 1, 4, 23, 59))
        assert not decision.ok and "05/01/2026" in decision.reason

    def test_opening_day_midnight(self):
        assert rules.can_change(D(2026, 2, 10), self.policy, paris(2026, 1, 5, 0, 0)).ok

    def test_closing_day_last_minute_and_next_midnight(self):
        assert rules.can_change(D(2026, 2, 10), self.policy, paris(2026, 2, 4, 23, 59)).ok
        decision = rules.can_change(D(2026, 2, 10), self.policy, paris(2026, 2, 5, 0, 0))
        assert not decision.ok and "04/02/2026 à 23 h 59" in decision.reason


class TestNotice:
    policy = rules.Policy(rules.NOTICE, notice_days=2, notice_time=datetime.time(12, 0))

    def test_cancellation_free_until_notice(self):
        day = D(2026, 1, 14)
        assert rules.cancellation_is_free(day, self.policy, paris(2026, 1, 12, 11, 59))
        assert not rules.cancellation_is_free(day, self.policy, paris(2026, 1, 12, 12, 0))

    def test_notice_across_spring_dst_change(self):
        # Day 31 March 2026; notice 2 days before at 12:00 = 29 March 12:00 CEST (DST began at 02:00) = 10:00 UTC.
        day = D(2026, 3, 31)
        assert rules.cancellation_deadline(day, self.policy) == datetime.datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
        assert rules.cancellation_is_free(day, self.policy, datetime.datetime(2026, 3, 29, 9, 59, tzinfo=UTC))
        assert not rules.cancellation_is_free(day, self.policy, datetime.datetime(2026, 3, 29, 10, 0, tzinfo=UTC))
        # One day earlier the notice deadline is still in winter time: 28 March 12:00 CET = 11:00 UTC.
        assert rules.cancellation_deadline(D(2026, 3, 30), self.policy) == datetime.datetime(
            2026, 3, 28, 11, 0, tzinfo=UTC)

    def test_notice_rule_books_until_notice(self):
        day = D(2026, 1, 14)
        assert rules.can_change(day, self.policy, paris(2026, 1, 12, 11, 59)).ok
        decision = rules.can_change(day, self.policy, paris(2026, 1, 12, 12, 0))
        assert not decision.ok and "12/01/2026 à 12 h 00" in decision.reason


class TestUnits:
    def test_day_excludes_morning_and_afternoon(self):
        incompatible = {1: {2, 3}, 2: {1}, 3: {1}}
        assert rules.unit_conflicts({1, 2}, incompatible) == [(1, 2)]
        assert rules.unit_conflicts({2, 3}, incompatible) == []
        assert rules.unit_conflicts({1, 2, 3}, incompatible) == [(1, 2), (1, 3)]

    def test_meal_needs_a_presence_unit(self):
        required = {4: {1, 2}}
        assert rules.missing_requirements({4}, required) == [4]
        assert rules.missing_requirements({4, 2}, required) == []
        assert rules.missing_requirements({3}, required) == []


class TestEligibility:
    kwargs = {"min_age": None, "max_age": None, "birth_date": D(2019, 3, 1), "on": D(2025, 9, 1)}

    @pytest.mark.parametrize("stage,level,ok", [
        ("maternelle", "GS", True), ("maternelle", "CP", False), ("elementaire", "CP", True),
        ("elementaire", "MS", False), ("", "MS", True), ("elementaire", "", False),
    ])
    def test_school_stage(self, stage, level, ok):
        assert rules.group_eligibility(school_stage=stage, school_level=level, **self.kwargs).ok is ok

    def test_age_limits_on_birthday(self):
        base = {"school_stage": "", "school_level": "CP", "on": D(2025, 9, 1)}
        assert rules.group_eligibility(min_age=6, max_age=None, birth_date=D(2019, 9, 1), **base).ok
        decision = rules.group_eligibility(min_age=6, max_age=None, birth_date=D(2019, 9, 2), **base)
        assert not decision.ok and "6 ans" in decision.reason
        assert not rules.group_eligibility(min_age=None, max_age=11, birth_date=D(2013, 9, 1), **base).ok


class TestOpeningCalendar:
    def calendar(self):
        return rules.OpeningCalendar(
            D(2025, 9, 1), D(2026, 7, 3),
            openings=[rules.Opening(D(2025, 9, 1), D(2026, 7, 3), frozenset({2}))],
            school_holidays=[(D(2025, 10, 18), D(2025, 11, 2))],
            closures={D(2025, 12, 17): "Journée pédagogique"},
        )

    def test_statuses(self):
        cal = self.calendar()
        assert cal.status(D(2025, 10, 22))[0] == rules.SCHOOL_HOLIDAY
        assert cal.status(D(2025, 12, 17)) == (rules.CLOSURE, "Fermé (Journée pédagogique)")
        assert cal.status(D(2025, 12, 10))[0] == rules.OPEN
        assert cal.status(D(2025, 12, 11))[0] == rules.CLOSED
        assert cal.status(D(2026, 7, 8))[0] == rules.CLOSED  # after the season

    def test_public_holiday_on_opening_weekday(self):
        # 1 May 2024 was a Wednesday; 11 November 2026 is a Wednesday.
        cal = rules.OpeningCalendar(D(2026, 9, 1), D(2027, 7, 3),
                                    openings=[rules.Opening(D(2026, 9, 1), D(2027, 7, 3), frozenset({2}))])
        status, label = cal.status(D(2026, 11, 11))
        assert status == rules.PUBLIC_HOLIDAY and "Armistice" in label

    def test_holiday_opening_ignores_school_holidays(self):
        cal = rules.OpeningCalendar(
            D(2025, 9, 1), D(2026, 8, 31),
            openings=[rules.Opening(D(2025, 10, 20), D(2025, 10, 31), frozenset(range(5)), False)],
            school_holidays=[(D(2025, 10, 18), D(2025, 11, 2))],
        )
        assert cal.open_days(D(2025, 10, 1), D(2025, 11, 30)) == [
            D(2025, 10, d) for d in (20, 21, 22, 23, 24, 27, 28, 29, 30, 31)
        ]

    def test_typical_week_and_mass_selection_dates(self):
        cal = rules.OpeningCalendar(
            D(2025, 9, 1), D(2026, 7, 3),
            openings=[rules.Opening(D(2025, 9, 1), D(2026, 7, 3), frozenset({0, 1, 3, 4}))],
            school_holidays=[(D(2025, 10, 18), D(2025, 11, 2))],
            closures={D(2025, 11, 14): ""},
        )
        pairs = rules.pattern_dates(cal, D(2025, 10, 27), D(2025, 11, 16), {0: {7}, 3: {7, 8}})
        # 27 Oct and 30 Oct: holidays; 10 Nov Monday open; 11 Nov public holiday (Tuesday, not in pattern);
        # 13 Nov Thursday; 14 Nov closure (Friday, not in pattern).
        assert pairs == [
            (D(2025, 11, 3), 7), (D(2025, 11, 6), 7), (D(2025, 11, 6), 8),
            (D(2025, 11, 10), 7), (D(2025, 11, 13), 7), (D(2025, 11, 13), 8),
        ]
        mass = rules.mass_selection_pattern({1}, {7, 8})
        assert rules.pattern_dates(cal, D(2025, 11, 10), D(2025, 11, 12), mass) == []  # 11 Nov is a public holiday

    def test_month_weeks_start_on_monday(self):
        weeks = rules.month_weeks(2026, 2)
        assert weeks[0][0] == D(2026, 1, 26)
        assert all(len(w) == 7 for w in weeks)


class TestDeadlineSentences:
    """The deadline in words a parent reads on every booking page, and the month the calendars open on."""

    WEDNESDAYS = rules.OpeningCalendar(D(2025, 9, 1), D(2026, 7, 3),
                                       [rules.Opening(D(2025, 9, 1), D(2026, 7, 3), frozenset({2}), False)])

    def test_monthly_names_the_month_and_the_last_minute(self):
        assert rules.deadline_sentences(MONTHLY, self.WEDNESDAYS, paris(2026, 1, 5, 10, 0)) == [
            "Réservations pour février possibles jusqu'au 20 janvier à 23 h 59"]

    def test_monthly_past_the_20th_moves_to_the_month_after(self):
        assert rules.deadline_sentences(MONTHLY, self.WEDNESDAYS, paris(2026, 1, 21, 0, 0)) == [
            "Réservations pour mars possibles jusqu'au 20 février à 23 h 59"]
        assert rules.first_changeable_month(MONTHLY, self.WEDNESDAYS, paris(2026, 1, 21, 0, 0)) == (2026, 3)
        assert rules.first_changeable_month(MONTHLY, self.WEDNESDAYS, paris(2026, 1, 20, 23, 59)) == (2026, 2)

    def test_monthly_across_the_year_says_the_year(self):
        assert rules.deadline_sentences(MONTHLY, self.WEDNESDAYS, paris(2025, 12, 1, 9, 0)) == [
            "Réservations pour janvier 2026 possibles jusqu'au 20 décembre à 23 h 59"]

    def test_monthly_on_the_spring_dst_change(self):
        # Deadline day 28: April 2026 closes at 29 March 00:00 CET, the night of the change (29 March, 2:00 → 3:00).
        policy = rules.Policy(rules.MONTHLY, deadline_day=28)
        before = datetime.datetime(2026, 3, 28, 22, 59, tzinfo=UTC)  # 23:59 CET
        assert rules.deadline_sentences(policy, self.WEDNESDAYS, before) == [
            "Réservations pour avril possibles jusqu'au 28 mars à 23 h 59"]
        after = datetime.datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 00:00 CET on the 29th
        assert rules.deadline_sentences(policy, self.WEDNESDAYS, after)[0].startswith("Réservations pour mai")

    def test_monthly_on_the_autumn_dst_change(self):
        # Deadline day 24: November 2025... the season starts in September: take December 2025, closed at
        # 25 November 00:00 CET; and November 2025 closed at 25 October 00:00 CEST (DST ends on 26 October).
        policy = rules.Policy(rules.MONTHLY, deadline_day=24)
        assert rules.deadline_sentences(policy, self.WEDNESDAYS, datetime.datetime(2025, 10, 24, 21, 59,
                                                                                   tzinfo=UTC)) == [
            "Réservations pour novembre possibles jusqu'au 24 octobre à 23 h 59"]
        assert rules.deadline_sentences(policy, self.WEDNESDAYS, datetime.datetime(2025, 10, 24, 22, 0,
                                                                                   tzinfo=UTC)) == [
            "Réservations pour décembre possibles jusqu'au 24 novembre à 23 h 59"]

    def test_season_over_says_nothing(self):
        assert rules.deadline_sentences(MONTHLY, self.WEDNESDAYS, paris(2026, 7, 1, 9, 0)) == []
        assert rules.first_changeable_month(MONTHLY, self.WEDNESDAYS, paris(2026, 8, 1, 9, 0)) == (2026, 7)

    def test_windows_before_and_while_open(self):
        winter = rules.Window(D(2026, 2, 7), D(2026, 2, 22), D(2026, 1, 5), D(2026, 1, 25), "Vacances d'hiver")
        spring = rules.Window(D(2026, 4, 4), D(2026, 4, 19), D(2026, 3, 9), D(2026, 4, 1), "Vacances de printemps")
        policy = rules.Policy(rules.WINDOW, windows=(winter, spring))
        cal = rules.OpeningCalendar(D(2026, 2, 7), D(2026, 4, 19),
                                    [rules.Opening(D(2026, 2, 7), D(2026, 4, 19), frozenset(range(5)), False)])
        assert rules.deadline_sentences(policy, cal, paris(2026, 1, 2, 9, 0)) == [
            "Vacances d'hiver : réservations du 5 au 25 janvier",
            "Vacances de printemps : réservations du 9 mars au 1er avril"]
        assert rules.deadline_sentences(policy, cal, paris(2026, 1, 25, 23, 59)) == [
            "Vacances d'hiver : réservations possibles jusqu'au 25 janvier à 23 h 59",
            "Vacances de printemps : réservations du 9 mars au 1er avril"]
        assert rules.deadline_sentences(policy, cal, paris(2026, 1, 26, 0, 0)) == [
            "Vacances de printemps : réservations du 9 mars au 1er avril"]
        assert rules.first_changeable_month(policy, cal, paris(2026, 1, 26, 0, 0)) == (2026, 2)

    def test_notice_names_the_next_day_across_dst(self):
        policy = rules.Policy(rules.NOTICE, notice_days=2, notice_time=datetime.time(12, 0))
        # Wednesday 1 April 2026: closes Monday 30 March at 12:00 CEST (after the change of 29 March).
        at = datetime.datetime(2026, 3, 27, 10, 0, tzinfo=UTC)
        assert rules.deadline_sentences(policy, self.WEDNESDAYS, at) == [
            "Pour le mercredi 1er avril : réservations et annulations possibles jusqu'au 30 mars à 12 h 00"]
        # At 12:00 CEST on the 30th (10:00 UTC) that Wednesday is closed: the next one is named.
        at = datetime.datetime(2026, 3, 30, 10, 0, tzinfo=UTC)
        assert rules.deadline_sentences(policy, self.WEDNESDAYS, at)[0].startswith("Pour le mercredi 8 avril")


class TestUnitRuleWords:
    NAMES = {1: "Journée", 2: "Matin", 3: "Après-midi", 4: "Repas"}
    INCOMPATIBLE = {1: {2, 3}, 2: {1}, 3: {1}}
    REQUIRED = {4: {1, 2, 3}}

    def test_statements_said_before_ticking(self):
        assert rules.unit_rule_statements([1, 2, 3, 4], self.INCOMPATIBLE, self.REQUIRED, self.NAMES) == [
            "« Journée » ne se réserve pas avec « Matin » ou « Après-midi ».",
            "« Repas » se réserve avec « Journée », « Matin » ou « Après-midi »."]

    def test_problems_of_a_day(self):
        assert rules.unit_rule_problems({1, 4}, self.INCOMPATIBLE, self.REQUIRED, self.NAMES) == []
        assert rules.unit_rule_problems({1, 2}, self.INCOMPATIBLE, self.REQUIRED, self.NAMES) == [
            "« Journée » et « Matin » ne peuvent pas être réservés le même jour."]
        assert rules.unit_rule_problems({4}, self.INCOMPATIBLE, self.REQUIRED, self.NAMES) == [
            "« Repas » nécessite aussi « Journée », « Matin » ou « Après-midi » ce jour-là."]
