"""« Dupliquer pour la saison suivante »: what other apps copy along with an activity, asked through a small
registry (like ``prices.py``).

Enrolment sits below billing and never imports it. An app that keeps per-unit data for a season (billing's
tariffs) registers a ``SeasonCopyContributor`` from its ``AppConfig.ready()``; ``services/season.py`` asks each
one to describe its part in the preview and to copy it, in the same transaction as the activity.
"""
from typing import Protocol


class SeasonCopyContributor(Protocol):
    #: A heading of the preview, e.g. « Tarifs ».
    label: str

    def describe(self, *, shifts) -> dict:
        """{unit_id: [French lines]} of what would be copied for the units of ``shifts`` ({unit_id: the
        ``services.season.SeasonShift`` of its activity}), in a fixed number of queries for all of them."""

    def copy(self, *, unit_map, shift) -> int:
        """Copy the part of each old unit to its new unit (``unit_map``: {old unit id: new Unit}); returns the
        number of rows created. Runs inside the copy's transaction: raise a ``DomainError`` to refuse."""


_contributors = []


def register_season_contributor(contributor):
    """Called by another app's ``AppConfig.ready()``; registering the same class twice keeps one."""
    global _contributors
    _contributors = [c for c in _contributors if type(c) is not type(contributor)] + [contributor]


def season_contributors():
    return list(_contributors)
