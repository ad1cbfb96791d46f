"""The booking basket, kept in the session until "Terminer" commits it or "Tout supprimer" empties it,
and the decisions that fill it from the planning pages (``basket_apply_ticks``, ``basket_tick_unit``,
``basket_apply_pattern``): what to book or cancel on which day, given the calendar and the deadlines.

Items are [child_id, unit_id, "YYYY-MM-DD", "book" | "cancel"]; one item per (child, unit, day).
"""
import datetime

from . import selectors
from .models import Booking
from .services import BOOK, CANCEL, Change

# States a parent may cancel from the planning (a place held by a booking they made or asked for).
# « asked »: a day asked for in a request phase (withdrawing it is a « cancel » in the basket).
CANCELLABLE_STATES = ("reserved", "requested", selectors.ASKED)

SESSION_KEY = "enrolment_basket"
MAX_ITEMS = 2000


class Basket:
    def __init__(self, session):
        self.session = session
        self._items = {(int(c), int(u), d): a for c, u, d, a in session.get(SESSION_KEY, [])}

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(self.items())

    def items(self):
        return [[c, u, d, a] for (c, u, d), a in sorted(self._items.items(), key=lambda kv: (kv[0][2], kv[0]))]

    def set(self, child_id, unit_id, day, action):
        key = (int(child_id), int(unit_id), day.isoformat() if isinstance(day, datetime.date) else day)
        if action is None:
            self._items.pop(key, None)
        elif len(self._items) < MAX_ITEMS or key in self._items:
            self._items[key] = action

    def discard(self, child_id, unit_id, day):
        self.set(child_id, unit_id, day, None)

    def clear(self):
        self._items = {}

    def save(self):
        self.session[SESSION_KEY] = self.items()
        self.session.modified = True

    def changes(self):
        return [Change(datetime.date.fromisoformat(d), c, u, a) for (c, u, d), a in self._items.items()]

    def for_child(self, child_id):
        return [i for i in self.items() if i[0] == child_id]


def _month_days(basket, enrolment, year, month, now):
    cal = selectors.month_calendar(enrolment=enrolment, year=year, month=month, now=now,
                                   basket=basket.for_child(enrolment.child_id), cat=getattr(enrolment, "catalogue", None))
    return cal["days"]


def basket_apply_ticks(basket, *, enrolment, start, end, ticked, now=None):
    """The edit mode of a month, a fortnight or a week ([start, end]), « Enregistrer »: ``ticked`` holds the
    keys ("YYYY-MM-DD:unit_id") of the ticked cells. On each cell the parent may still change (editable day,
    state not locked by staff), a ticked free cell goes to the basket as « book », an unticked reserved or
    requested one as « cancel », and a cell back to its booking leaves the basket. Saves the basket. One query."""
    child_id = enrolment.child_id
    days = selectors.calendar_days(enrolment=enrolment, start=start, end=end, now=now,
                                   basket=basket.for_child(child_id), cat=getattr(enrolment, "catalogue", None))
    for day in days:
        if not day.editable:
            continue
        for cell in day.cells:
            if not cell.editable_state:
                continue
            want, has = f"{day.key}:{cell.unit.id}" in ticked, cell.state in CANCELLABLE_STATES
            if want != has:
                basket.set(child_id, cell.unit.id, day.date, BOOK if want else CANCEL)
            else:
                basket.discard(child_id, cell.unit.id, day.date)
    basket.save()


def basket_tick_unit(basket, *, enrolment, year, month, unit_id, now=None):
    """« Tout cocher » for one unit of the month: every editable day where the unit is not ticked yet and not
    full is ticked (booked, or its pending cancellation dropped). Saves the basket; returns the number of days."""
    count = 0
    for day in _month_days(basket, enrolment, year, month, now):
        for cell in day.cells:
            if (day.editable and str(cell.unit.id) == str(unit_id) and not cell.checked and not cell.full
                    and cell.editable_state):
                basket.set(enrolment.child_id, cell.unit.id, day.date, BOOK if not cell.booked else None)
                count += 1
    basket.save()
    return count


def basket_apply_pattern(basket, *, enrolments, start, end, pattern, action, now=None, cat=None):
    """« Sélection en masse » / « Semaine type »: ``pattern`` ({weekday: {unit ids}}) over [start, end] for each
    enrolment (a child and its siblings in the same activity). ``action`` BOOK adds every day not already held,
    CANCEL every reserved or requested one; a day past its deadline or locked by staff is skipped.
    Saves the basket; returns (changes added, days skipped). One query per enrolment."""
    added = skipped = 0
    for e in enrolments:
        for day, unit_id, editable, state in selectors.pattern_targets(enrolment=e, start=start, end=end,
                                                                         pattern=pattern, now=now, cat=cat):
            if not editable or state in selectors.LOCKED_STATES:
                skipped += 1
            elif (action == BOOK and state not in Booking.HOLDING_STATES and state != selectors.ASKED) or (
                    action == CANCEL and state in CANCELLABLE_STATES):
                basket.set(e.child_id, unit_id, day, action)
                added += 1
    basket.save()
    return added, skipped
