"""Querysets compiled to SQL once per process, then run with other values.

Building and compiling a queryset costs 0.5–1 ms of CPU, often more than PostgreSQL takes to run it.
The pages every parent opens (home, calendars, invoices) run the same few queries with only the family
or the day changing, so they compile each of them once::

    upcoming = prepared(lambda family, today: Booking.objects.filter(child__family=family, date__gte=today)
                        .select_related("child").order_by("date")[:5], family=int, today=datetime.date)

    upcoming(family=request.family.pk, today=today)   # a list of Booking, as list(queryset) would give

The builder is called once with sentinel values of the declared types; each sentinel must come out as
a query parameter (it does for ordinary lookups), and later calls put their values in its place. The
result is exactly what iterating the queryset gives: model instances with their ``select_related``
objects, dicts for ``values()``, tuples for ``values_list()``; ``prefetch_related`` still runs its
queries. The SQL may only depend on the declared values, never on data or settings: a query whose shape
changes (say, "only the payer's invoices" or not) is two prepared queries. One process serves one
database (the compiled SQL is that vendor's).
"""
import copy
import datetime
import itertools

from django.db import connection, connections

_sentinel_ids = itertools.count(1)


def _sentinel(kind):
    n = next(_sentinel_ids)
    if kind is int:
        return -918273645 - n
    if kind is datetime.date:
        return datetime.date(1901, 1, 1) + datetime.timedelta(days=n)
    if kind is str:
        return f"\x1fsentinel-{n}\x1f"
    raise TypeError(f"prepared(): unsupported parameter type {kind!r} (int, str or datetime.date)")


def _matches(param, sentinel):
    if param == sentinel:
        return True
    if isinstance(sentinel, datetime.date):  # SQLite binds dates as ISO strings
        return param == sentinel.isoformat()
    return False


def _bind(value, compiled_param):
    if isinstance(value, datetime.date) and isinstance(compiled_param, str):
        return value.isoformat()
    return value


class Prepared:
    def __init__(self, build, types):
        self.build = build
        self.types = types
        self._compiled = None

    def _compile(self):
        sentinels = {name: _sentinel(kind) for name, kind in self.types.items()}
        queryset = self.build(**sentinels)
        compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = compiler.as_sql()
        slots = []
        for name, sentinel in sentinels.items():
            found = [i for i, p in enumerate(params) if _matches(p, sentinel)]
            if not found:
                raise ValueError(f"prepared(): {name!r} is not a parameter of the compiled SQL")
            slots.extend((i, name) for i in found)
        self._compiled = (queryset, compiler, sql, tuple(params), slots)
        return self._compiled

    def queryset(self, **values):
        """The queryset, already compiled, bound to ``values``: iterate it once (or ``list()`` it)."""
        missing = set(self.types) - set(values)
        if missing:
            raise TypeError(f"prepared(): missing values {sorted(missing)}")
        queryset, compiler, sql, params, slots = self._compiled or self._compile()
        bound_params = list(params)
        for i, name in slots:
            bound_params[i] = _bind(values[name], params[i])
        bound = copy.copy(compiler)
        bound.connection = connections[queryset.db]  # connections are per thread
        bound_params = tuple(bound_params)
        bound.as_sql = lambda *args, **kwargs: (sql, bound_params)
        clone = queryset._chain()
        clone.query.get_compiler = lambda *args, **kwargs: bound
        return clone

    def __call__(self, **values):
        return list(self.queryset(**values))


def prepared(build, **types):
    """``build(**values) -> QuerySet``, compiled once per process and database; ``types``: each value's
    type (``int`` for ids, ``str``, ``datetime.date``)."""
    return Prepared(build, types)


def fetch_rows(sql, params, fallback):
    """The rows of PostgreSQL-only ``sql`` run with ``params``; on any other database (the SQLite demo of
    ``scripts/run``) the same rows as ``fallback(params)`` computes them with the ORM."""
    if connection.vendor != "postgresql":
        return fallback(params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
