"""The basket's decisions, tested without a view: what the month's ticks, « Tout cocher » and the mass
selection put in the basket (book / cancel / nothing), with the deadlines and the states staff lock; and the
request's group choice (forms.GroupChoiceForm)."""
import datetime
from types import SimpleNamespace

import pytest
from django.contrib.sessions.backends.base import SessionBase

from enrolment import rules, services
from enrolment.basket import Basket, basket_apply_pattern, basket_apply_ticks, basket_tick_unit
from enrolment.forms import GroupChoiceForm
from enrolment.models import Booking
from enrolment.services import BOOK, CANCEL, Change
from families.tests.factories import parent_with_family

from .factories import enrol, wednesdays_activity

pytestmark = pytest.mark.django_db
P = datetime.timezone(datetime.timedelta(hours=1))
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)  # December is open (monthly rule, until 20/11)
D = datetime.date
DECEMBER_WEDNESDAYS = [D(2025, 12, d) for d in (3, 10, 17, 24, 31)]


@pytest.fixture
def world():
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (unit,) = wednesdays_activity(capacity=10)
    return SimpleNamespace(user=user, family=family, child=child, unit=unit, enrolment=enrol(child, activity, group))


def _book(w, *days):
    services.booking_commit(family=w.family, by=w.user, now=NOW,
                            changes=[Change(day, w.child.id, w.unit.id, BOOK) for day in days])


def _items(basket):
    return {(D.fromisoformat(day), action) for _, _, day, action in basket.items()}


def test_ticks_book_the_ticked_days_and_cancel_the_unticked_bookings(world):
    _book(world, D(2025, 12, 17), D(2025, 12, 24))
    basket = Basket(SessionBase())
    ticked = {f"2025-12-03:{world.unit.id}", f"2025-12-24:{world.unit.id}"}  # 17 unticked, 24 kept
    basket_apply_ticks(basket, enrolment=world.enrolment, start=D(2025, 12, 1), end=D(2025, 12, 31), ticked=ticked, now=NOW)
    assert _items(basket) == {(D(2025, 12, 3), BOOK), (D(2025, 12, 17), CANCEL)}
    # Ticking again what is booked (17) drops its pending cancellation: the basket follows the last ticks.
    basket_apply_ticks(basket, enrolment=world.enrolment, start=D(2025, 12, 1), end=D(2025, 12, 31), now=NOW,
                       ticked=ticked | {f"2025-12-17:{world.unit.id}"})
    assert _items(basket) == {(D(2025, 12, 3), BOOK)}
    assert basket.session.modified


def test_ticks_leave_days_past_their_deadline_and_states_locked_by_staff(world):
    _book(world, D(2025, 12, 10))
    Booking.objects.filter(date=D(2025, 12, 10)).update(state=Booking.State.PRESENT)
    basket = Basket(SessionBase())
    # November is past its deadline (20/10); 10/12 is « présent »: neither can change.
    basket_apply_ticks(basket, enrolment=world.enrolment, start=D(2025, 11, 1), end=D(2025, 11, 30), now=NOW,
                       ticked={f"2025-11-12:{world.unit.id}"})
    basket_apply_ticks(basket, enrolment=world.enrolment, start=D(2025, 12, 1), end=D(2025, 12, 31), ticked=set(), now=NOW)
    assert len(basket) == 0


def test_tick_a_whole_unit_books_every_open_day_not_taken(world):
    _book(world, D(2025, 12, 3))
    basket = Basket(SessionBase())
    count = basket_tick_unit(basket, enrolment=world.enrolment, year=2025, month=12, unit_id=str(world.unit.id),
                             now=NOW)
    assert count == 4 and _items(basket) == {(day, BOOK) for day in DECEMBER_WEDNESDAYS[1:]}


def test_pattern_books_every_wednesday_and_counts_the_days_it_cannot_change(world):
    basket = Basket(SessionBase())
    pattern = rules.mass_selection_pattern({2}, {world.unit.id})
    added, skipped = basket_apply_pattern(basket, enrolments=[world.enrolment], start=D(2025, 11, 1),
                                          end=D(2025, 12, 31), pattern=pattern, action=BOOK, now=NOW)
    assert (added, skipped) == (5, 4)  # December's five Wednesdays; November's four are past the deadline
    assert _items(basket) == {(day, BOOK) for day in DECEMBER_WEDNESDAYS}


def test_pattern_cancels_only_what_is_booked(world):
    _book(world, D(2025, 12, 3), D(2025, 12, 10))
    basket = Basket(SessionBase())
    pattern = rules.mass_selection_pattern({2}, {world.unit.id})
    added, skipped = basket_apply_pattern(basket, enrolments=[world.enrolment], start=D(2025, 12, 1),
                                          end=D(2025, 12, 31), pattern=pattern, action=CANCEL, now=NOW)
    assert (added, skipped) == (2, 0)
    assert _items(basket) == {(D(2025, 12, 3), CANCEL), (D(2025, 12, 10), CANCEL)}


def _kids(*names):
    return [SimpleNamespace(id=i, first_name=name) for i, name in enumerate(names, start=1)]


def _groups(*ids):
    return [SimpleNamespace(id=i, name=f"Groupe {i}") for i in ids]


def test_group_choice_takes_the_only_group_and_the_chosen_one():
    lea, tom = _kids("Léa", "Tom")
    form = GroupChoiceForm({"group_2": "11"}, groups_by_child=[(lea, _groups(7)), (tom, _groups(10, 11))])
    assert form.is_valid()
    assert [(c.first_name, g.id) for c, g in form.cleaned_data["requests"]] == [("Léa", 7), ("Tom", 11)]


def test_group_choice_names_the_children_without_a_valid_group():
    lea, tom, zoe = _kids("Léa", "Tom", "Zoé")
    form = GroupChoiceForm({"group_2": "99"}, groups_by_child=[(lea, _groups(10, 11)), (tom, _groups(10, 11)),
                                                                (zoe, [])])
    assert not form.is_valid()
    assert form.non_field_errors() == ["Choisissez un groupe pour : Léa, Tom."]


def test_group_choice_refuses_when_no_child_can_join():
    form = GroupChoiceForm({}, groups_by_child=[(_kids("Léa")[0], [])])
    assert not form.is_valid()
    assert form.non_field_errors() == ["Aucun des enfants choisis ne peut être inscrit à cette activité."]
