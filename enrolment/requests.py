"""Requests of a window in its request phase, kept by the app that allocates them (issue 17, « opening »).

During a window's request phase (``rules.Decision.request``) the planning works as always — month
calendar, « Sélection en masse », « Semaine type », basket — but « Terminer » asks for the days instead of
booking them: no place is taken, no counter is locked. Enrolment sits below the opening app and never
imports it: the opening app registers a ``RequestStore`` from its ``AppConfig.ready()``
(``register_request_store``). Without one, a request phase refuses the requests with a French message.
"""
from typing import Protocol

from portal.errors import BookingError


class RequestStore(Protocol):
    def asked(self, *, child_id, unit_ids, start, end) -> set:
        """{(unit_id, date)} the child asked for in [start, end] (one query)."""

    def record(self, *, family, changes, by, now) -> tuple:
        """Record ``changes`` (``services.Change``: « book » asks for the day, « cancel » withdraws the
        request), already checked by the commit (validated enrolment, opening day, request phase), in the
        caller's transaction. Returns (requests recorded, requests withdrawn)."""


class NoRequests:
    def asked(self, *, child_id, unit_ids, start, end):
        return set()

    def record(self, *, family, changes, by, now):
        raise BookingError("Les demandes de places ne sont pas ouvertes sur ce portail.")


_store = NoRequests()


def register_request_store(store):
    """Called by the opening app's ``AppConfig.ready()``."""
    global _store
    _store = store


def request_store():
    return _store
