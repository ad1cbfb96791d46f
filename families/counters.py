"""Counter rows of the family: values every parent page or the home page shows, stored on the family's row
(which comes with the request's user, so reading them costs no query) and kept by ``recount`` in the
transaction of each change.

Two kinds, each with one rule:
- the counters registered in ``portal.dashboard`` with ``stored=True`` (unread messages, pending change
  requests, pending enrolment requests): the field holds the number of rows the registered rule counts;
- other values registered here with ``register_value`` (billing's balance): the field holds what the
  registered expression computes.

``recount`` locks the families' rows first, in id order, then computes each value in a new statement: it
sees every change committed by a transaction that held the lock before, so two concurrent changes never
leave a stale value. Call it last in a transaction (after any lock on other rows), as every caller does,
so that no two transactions wait for each other's locks in opposite orders.

``audit`` (a nightly job) compares every row with its rule, reports each difference in the job log and
recounts it: these are copies kept for display, their rule is the record.
"""
from decimal import Decimal

from django.db import transaction
from django.db.models import F, OuterRef, Q

from portal import dashboard

from .models import Family

_values = {}  # {field: expression(family) -> Expression}, ``family`` an OuterRef to the family's primary key


def register_value(field, expression):
    """Store on the family's ``field`` what ``expression(OuterRef("pk"))`` computes (a scalar subquery)."""
    _values[field] = expression


def fields():
    return dashboard.stored_counters() + sorted(_values)


def _expression(field):
    if field in _values:
        return _values[field](OuterRef("pk"))
    return dashboard.counter_expression(field, OuterRef("pk"))


def lock(family_ids):
    """Lock these families' rows, in id order; returns the sorted ids."""
    ids = sorted({pk for pk in family_ids if pk is not None})
    if ids:
        list(Family.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))
    return ids


def recount(names, family_ids):
    """Set ``names`` (fields of ``fields()``) of these families to what their rules compute now, in the
    caller's transaction (or one of its own)."""
    with transaction.atomic(savepoint=False):
        ids = lock(family_ids)
        if ids:
            Family.objects.filter(pk__in=ids).update(**{name: _expression(name) for name in names})


def mismatches(names=None, family_ids=None):
    """[(family id, field, stored, computed)] of the families whose stored value differs from its rule."""
    found = []
    for name in names or fields():
        rows = Family.objects.order_by("pk")
        if family_ids is not None:
            rows = rows.filter(pk__in=family_ids)
        rows = rows.annotate(computed=_expression(name)).filter(~Q(**{name: F("computed")}))
        found += [(pk, name, stored, computed) for pk, stored, computed in rows.values_list("pk", name, "computed")]
    return found


def audit(*, report, limit=200):
    """Compare every family's counter rows with their rules; report (``report(text)``) the first ``limit``
    differences and recount each family that has one. Returns the number of differences."""
    found = mismatches()
    if not found:
        return 0
    with transaction.atomic():
        # Read again under the lock: a change being committed while the first read ran is not reported.
        ids = lock({pk for pk, _, _, _ in found})
        found = mismatches(family_ids=ids)
        _report_and_recount(found, report, limit)
    return len(found)


def _shown(value):
    return f"{value:.2f} €".replace(".", ",") if isinstance(value, Decimal) else str(value)


def _report_and_recount(found, report, limit):
    for pk, name, stored, computed in found[:limit]:
        field = Family._meta.get_field(name)
        report(f"Famille {pk}, {field.verbose_name} : {_shown(stored)} enregistré, {_shown(computed)} selon la règle "
               f"(corrigé).")
    if len(found) > limit:
        report(f"… et {len(found) - limit} autre(s) écart(s) (corrigés).")
    by_field = {}
    for pk, name, _, _ in found:
        by_field.setdefault(name, set()).add(pk)
    for name, ids in by_field.items():
        recount([name], ids)
