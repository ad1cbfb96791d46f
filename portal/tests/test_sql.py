"""portal.sql.prepared: querysets compiled once per process, run with other values."""
import datetime
from unittest import mock

import pytest
from django.db.models.sql.compiler import SQLCompiler

from families.models import Child
from families.tests.factories import parent_with_family
from portal.sql import prepared
from portal.tests.concurrency import run_in_threads

pytestmark = pytest.mark.django_db


def _children(family, born_after):
    return Child.objects.filter(family=family, birth_date__gt=born_after).select_related("family").order_by("birth_date")


def test_gives_what_the_queryset_gives_for_each_family_and_compiles_once(django_assert_num_queries):
    (_, family_a), (_, family_b) = parent_with_family(children=2), parent_with_family(children=3)
    children = prepared(_children, family=int, born_after=datetime.date)
    long_ago = datetime.date(1990, 1, 1)
    children(family=family_a.pk, born_after=long_ago)  # compiles
    with mock.patch.object(SQLCompiler, "as_sql", autospec=True, side_effect=SQLCompiler.as_sql) as as_sql:
        for family in (family_a, family_b):
            with django_assert_num_queries(1):
                rows = children(family=family.pk, born_after=long_ago)
            assert rows == list(_children(family.pk, long_ago))
            assert [c.family.name for c in rows] == [family.name] * len(rows)  # select_related filled
    assert as_sql.call_count == 2  # only the two comparison querysets above, never the prepared one


def test_dates_and_values_are_bound_not_compiled_in():
    _, family = parent_with_family(children=2)
    births = sorted(Child.objects.filter(family=family).values_list("birth_date", flat=True))
    names = prepared(
        lambda family, born_after: Child.objects.filter(family=family, birth_date__gt=born_after)
        .order_by("birth_date").values("first_name"),
        family=int, born_after=datetime.date,
    )
    assert len(names(family=family.pk, born_after=births[0] - datetime.timedelta(days=1))) == 2
    assert len(names(family=family.pk, born_after=births[0])) == (1 if births[1] > births[0] else 0)
    assert names(family=-1, born_after=births[0]) == []


def test_a_value_that_does_not_reach_the_sql_is_refused():
    ignored = prepared(lambda family, day: Child.objects.filter(family=family), family=int, day=datetime.date)
    with pytest.raises(ValueError, match="day"):
        ignored(family=1, day=datetime.date(2026, 1, 1))
    with pytest.raises(TypeError, match="missing"):
        prepared(_children, family=int, born_after=datetime.date)(family=1)


@pytest.mark.django_db(transaction=True)
def test_threads_each_run_it_on_their_own_connection():
    (_, family_a), (_, family_b) = parent_with_family(children=1), parent_with_family(children=2)
    children = prepared(_children, family=int, born_after=datetime.date)
    long_ago = datetime.date(1990, 1, 1)
    children(family=family_a.pk, born_after=long_ago)  # compiled in this thread, on this thread's connection
    seen = []

    def read():
        for family, count in ((family_a, 1), (family_b, 2)):
            assert len(children(family=family.pk, born_after=long_ago)) == count
        seen.append(True)

    assert run_in_threads(read, count=4) == []
    assert len(seen) == 4
