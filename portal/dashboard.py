"""Blocks of the home page contributed by each app, and the family counters they and the navigation share.

An app registers ``func(request) -> dict | None`` returning
``{"order": int, "template": "app/_home_block.html", ...context}``; the home page
includes each block in order. ``public=True`` blocks also show before login.

Counters (unread messages, pending requests, …) are registered with ``register_counter``. A counter
``stored`` on the family's row (a counter row: ``families.counters.recount`` keeps it with the registered
rule, in the transaction of each change) is read from the request's family, which comes with the user: no
query. The others of a request are computed together in one query by ``family_counters``, whatever the
number of apps that contribute one.
"""
from django.db.models import IntegerField, OuterRef, Subquery
from django.utils import timezone

_blocks = []
_counters = {}
_active = {}  # {name: active(today) -> bool}: a counter that can only be 0 today costs no SQL
_stored = set()  # counters kept on the family's row, in a field of the counter's name


def register_block(func=None, *, public=False):
    def decorator(f):
        _blocks.append((f, public))
        return f

    return decorator(func) if func else decorator


def register_counter(name, rows=None, *, active=None, stored=False):
    """``rows(family, today)`` returns the queryset of the rows to count for one family, where ``family``
    is a reference to the family's primary key usable in ``filter()`` (an ``OuterRef``). Also a decorator:
    ``@register_counter("name")``. ``active(today)``, if given, says from the process's configuration
    (``portal.caching.cached_config``, no query) whether the counter can be above 0 at all today; when it
    says no, the counter is 0 without joining the query. ``stored``: the family model has a field ``name``
    that holds the count (its rule must not depend on ``today``: it is given None)."""
    def decorator(f):
        _counters[name] = f
        if active is not None:
            _active[name] = active
        if stored:
            _stored.add(name)
        return f

    return decorator(rows) if rows else decorator


def stored_counters():
    return sorted(_stored)


def counter_expression(name, family, today=None):
    """The number of rows counter ``name`` counts for ``family`` (an ``OuterRef`` to the family's primary
    key), as an expression to annotate or store (``families.counters``)."""
    if name not in _stored:
        today = today or timezone.localdate()
    return _CountRows(_counters[name](family, today).order_by().values("pk"))


class _CountRows(Subquery):
    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()


def family_counters(request, names=None):
    """The registered counters ``names`` (default: all) of the request's family (``request.family``), in one
    query, each computed once per request (the navigation asks for its badge alone; the home page for all)."""
    counters = request.__dict__.setdefault("_family_counters", {})
    wanted = list(_counters) if names is None else list(names)
    missing = [name for name in wanted if name not in counters]
    family = request.family
    counters.update({name: getattr(family, name) for name in missing if name in _stored})
    missing = [name for name in missing if name not in counters]
    if missing:
        today = timezone.localdate()
        idle = [name for name in missing if name in _active and not _active[name](today)]
        counters.update(dict.fromkeys(idle, 0))
        missing = [name for name in missing if name not in idle]
    if missing:
        annotations = {name: counter_expression(name, OuterRef("pk"), today) for name in missing}
        # The family's own row carries the counts: its model comes from the request, not an import
        # (apps register into this module, never the reverse).
        row = type(family)._default_manager.filter(pk=family.pk).values(**annotations).first()
        counters.update(row or dict.fromkeys(missing, 0))
    return {name: counters[name] for name in wanted}


def dashboard_sections(request, public=False):
    sections = []
    for func, is_public in _blocks:
        if public and not is_public:
            continue
        block = func(request)
        if block:
            sections.append(block)
    return sorted(sections, key=lambda b: b.get("order", 100))
