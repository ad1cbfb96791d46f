"""The booking basket, kept in the session until "Terminer" commits it or "Tout supprimer" empties it.

Items are [child_id, unit_id, "YYYY-MM-DD", "book" | "cancel"]; one item per (child, unit, day).
"""
import datetime

from .services import Change

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
