"""Blocks of the home page contributed by each app, and the family counters they and the navigation share.

An app registers ``func(request) -> dict | None`` returning
``{"order": int, "template": "app/_home_block.html", ...context}``; the home page
includes each block in order. ``public=True`` blocks also show before login.

Counters (unread messages, pending requests, …) are registered with ``register_counter``; all of a
request's counters are computed together in one query by ``family_counters``, whatever the number of
apps that contribute one.
"""
import datetime

from django.db import connection
from django.db.models import IntegerField, OuterRef, Subquery
from django.utils import timezone

_blocks = []
_counters = {}


def register_block(func=None, *, public=False):
    def decorator(f):
        _blocks.append((f, public))
        return f

    return decorator(func) if func else decorator


def register_counter(name, rows=None):
    """``rows(family, today)`` returns the queryset of the rows to count for one family, where ``family``
    is a reference to the family's primary key usable in ``filter()`` (an ``OuterRef``). Also a decorator:
    ``@register_counter("name")``."""
    def decorator(f):
        _counters[name] = f
        return f

    return decorator(rows) if rows else decorator


class _CountRows(Subquery):
    template = "(SELECT COUNT(*) FROM (%(subquery)s) _rows)"
    output_field = IntegerField()


# The counters' SQL is compiled once per process (building it through the ORM costs more CPU than
# running it): compiled with sentinel values, which each request replaces by its family and day.
_SENTINEL_FAMILY = -918273645
_SENTINEL_DAY = datetime.date(1901, 2, 3)
_compiled = {}


def _counters_sql():
    key = tuple(_counters)
    if key not in _compiled:
        from families.models import Family

        annotations = {
            name: _CountRows(rows(OuterRef("pk"), _SENTINEL_DAY).order_by().values("pk"))
            for name, rows in _counters.items()
        }
        sql, params = Family.objects.filter(pk=_SENTINEL_FAMILY).order_by().values(**annotations).query.sql_with_params()
        _compiled.clear()
        _compiled[key] = (sql, tuple(params), list(annotations))
    return _compiled[key]


def _bind(param, family_id, today):
    if param == _SENTINEL_FAMILY:
        return family_id
    if param == _SENTINEL_DAY or param == _SENTINEL_DAY.isoformat():
        return today if isinstance(param, datetime.date) else today.isoformat()
    return param


def family_counters(request):
    """Every registered counter of the request's family (``request.family``), in one query, once per request."""
    counters = getattr(request, "_family_counters", None)
    if counters is None:
        counters = {}
        if _counters:
            sql, params, names = _counters_sql()
            today = timezone.localdate()
            with connection.cursor() as cursor:
                cursor.execute(sql, [_bind(p, request.family.pk, today) for p in params])
                row = cursor.fetchone()
            counters = dict(zip(names, row))
        request._family_counters = counters
    return counters


def dashboard_sections(request, public=False):
    sections = []
    for func, is_public in _blocks:
        if public and not is_public:
            continue
        block = func(request)
        if block:
            sections.append(block)
    return sorted(sections, key=lambda b: b.get("order", 100))
