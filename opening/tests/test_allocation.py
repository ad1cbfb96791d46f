"""The allocation as a pure function: priorities, the seeded draw, siblings all or none, whole weeks first."""
import datetime
import hashlib

from opening import allocation
from opening.allocation import DAYS, WEEKS_FIRST, Family, Request, Settings, allocate

MON = datetime.date(2026, 7, 6)  # a Monday
WEEK = [MON + datetime.timedelta(days=i) for i in range(5)]
UNIT = 1


def req(pk, family, child, day, unit=UNIT):
    return Request(pk, family, child, unit, day, ((unit, None, day),))


def places(n, days=WEEK, unit=UNIT):
    return {(unit, None, d): n for d in days}


def test_draw_is_sha256_of_seed_and_family_number():
    assert allocation.draw("abc", "F0042") == hashlib.sha256(b"abc:F0042").hexdigest()


def test_priority_criteria_in_order_then_draw():
    families = [Family(1, "F1"), Family(2, "F2", frozenset({"proof"})), Family(3, "F3", frozenset({"resident"})),
                Family(4, "F4", frozenset({"resident", "proof"}))]
    requests = [req(f, f, 10 * f, MON) for f in (1, 2, 3, 4)]
    result = allocate(requests, places(2, [MON]), families, Settings(seed="s", criteria=("resident", "proof")))
    assert [f for f, _ in sorted(result.ranks.items(), key=lambda kv: kv[1])] == [4, 3, 2, 1]
    assert result.granted == {4, 3}
    assert result.refused == [2, 1]  # the waiting list's order: rank order
    assert result.met[4] == ["resident", "proof"] and result.deciding[2] == "proof" and result.deciding[1] == "draw"


def test_criteria_order_is_the_phase_setting():
    families = [Family(2, "F2", frozenset({"proof"})), Family(3, "F3", frozenset({"resident"}))]
    requests = [req(2, 2, 20, MON), req(3, 3, 30, MON)]
    result = allocate(requests, places(1, [MON]), families, Settings(seed="s", criteria=("proof", "resident")))
    assert result.granted == {2}


def test_tie_broken_by_the_draw_and_reproducible_from_the_seed():
    families = [Family(i, f"F{i:04d}") for i in range(1, 41)]
    requests = [req(i * 10 + k, i, 100 + i, d) for i in range(1, 41) for k, d in enumerate(WEEK)]
    settings = Settings(seed="published-before-the-phase")
    first = allocate(requests, places(10), families, settings)
    again = allocate(list(reversed(requests)), places(10), list(reversed(families)), settings)
    assert again.granted == first.granted and again.ranks == first.ranks and again.digest == first.digest
    # Anyone can recompute the order from the published seed: ascending SHA-256 of « seed:number ».
    expected = sorted(families, key=lambda f: hashlib.sha256(f"{settings.seed}:{f.number}".encode()).hexdigest())
    assert [f.id for f in expected] == sorted(first.ranks, key=first.ranks.get)
    assert {r.family_id for r in requests if r.id in first.granted} == {f.id for f in expected[:10]}
    other = allocate(requests, places(10), families, Settings(seed="another seed"))
    assert other.ranks != first.ranks


def test_siblings_all_or_nothing():
    # Family 1 (first by criteria) asks for one child, family 2 for two siblings: one place is left for them.
    families = [Family(1, "F1", frozenset({"resident", "proof"})), Family(2, "F2", frozenset({"resident"})),
                Family(3, "F3")]
    requests = [req(1, 1, 11, MON), req(2, 2, 21, MON), req(3, 2, 22, MON), req(4, 3, 31, MON)]
    settings = Settings(seed="x", criteria=("resident", "proof"), siblings_all_or_none=True)
    result = allocate(requests, places(2, [MON]), families, settings)
    # siblings: not split; the family after them takes the place they could not fill
    assert result.ranks[1] < result.ranks[2] < result.ranks[3]
    assert result.granted == {1, 4}
    assert {2, 3}.isdisjoint(result.granted)
    split = allocate(requests, places(2, [MON]), families, Settings(seed="x", criteria=("resident", "proof"),
                                                                     siblings_all_or_none=False))
    assert split.granted == {1, 2}  # without the setting, the first sibling gets the last place


def test_siblings_all_or_nothing_with_enough_places_gets_all():
    families = [Family(2, "F2")]
    requests = [req(2, 2, 21, MON), req(3, 2, 22, MON)]
    result = allocate(requests, places(2, [MON]), families, Settings(seed="x"))
    assert result.granted == {2, 3}
    assert result.met[2] == ["siblings"]  # derived: the family asks for several children


def test_whole_weeks_first():
    # Family 1 has the better rank but asks two scattered days; family 2 asks the whole week.
    families = [Family(1, "F1", frozenset({"resident"})), Family(2, "F2")]
    requests = [req(1, 1, 11, WEEK[0]), req(2, 1, 11, WEEK[2])]
    requests += [req(10 + i, 2, 21, d) for i, d in enumerate(WEEK)]
    settings = Settings(seed="x", criteria=("resident",), partial_weeks=WEEKS_FIRST)
    result = allocate(requests, places(1), families, settings, open_days=WEEK)
    assert {10, 11, 12, 13, 14} <= result.granted  # the whole week went first
    assert result.refused == [1, 2]
    by_day = allocate(requests, places(1), families, Settings(seed="x", criteria=("resident",), partial_weeks=DAYS),
                      open_days=WEEK)
    assert {1, 2} <= by_day.granted and 10 not in by_day.granted and 12 not in by_day.granted


def test_a_whole_week_that_does_not_fit_is_then_given_day_by_day():
    families = [Family(2, "F2")]
    requests = [req(10 + i, 2, 21, d) for i, d in enumerate(WEEK)]
    caps = places(1)
    caps[(UNIT, None, WEEK[3])] = 0
    result = allocate(requests, caps, families, Settings(seed="x"), open_days=WEEK)
    assert result.granted == {10, 11, 12, 14} and result.refused == [13]


def test_a_childs_units_of_a_day_go_together_and_group_counters_count():
    # Journée (unit 1) on the unit counter and on the group's own counter; the group has one place.
    day = MON
    keys = ((1, None, day), (1, 7, day))
    requests = [Request(1, 1, 11, 1, day, keys), Request(2, 2, 21, 1, day, keys)]
    caps = {(1, None, day): 5, (1, 7, day): 1}
    result = allocate(requests, caps, [Family(1, "A"), Family(2, "B")], Settings(seed="s"))
    assert len(result.granted) == 1 and len(result.refused) == 1
    # Meal (unit 2) needs its presence: same child, same day, all or nothing.
    requests = [req(1, 1, 11, day, unit=1), req(2, 1, 11, day, unit=2)]
    result = allocate(requests, {(1, None, day): 1, (2, None, day): 0}, [Family(1, "A")], Settings(seed="s"))
    assert result.granted == set()


def test_figures_per_day_demand_places_and_criterion_shares():
    families = [Family(1, "F1", frozenset({"resident"})), Family(2, "F2"), Family(3, "F3")]
    requests = [req(1, 1, 11, MON), req(2, 2, 21, MON), req(3, 3, 31, MON)]
    result = allocate(requests, places(2, [MON]), families, Settings(seed="s", criteria=("resident", "proof")))
    (row,) = result.figures
    assert row["demand"] == 3 and row["places"] == 2 and row["granted"] == 2 and row["refused"] == 1
    assert row["by_criterion"] == {"resident": 1, "proof": 0, "draw": 1}


def test_unlimited_capacity_grants_everything():
    requests = [req(i, i, i, MON) for i in range(1, 6)]
    result = allocate(requests, {(UNIT, None, MON): None}, [Family(i, str(i)) for i in range(1, 6)],
                      Settings(seed="s"))
    assert result.granted == {1, 2, 3, 4, 5} and result.refused == []
