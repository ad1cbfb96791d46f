"""The benchmark city: ``build(families=10000, seed=42)`` (command line: bench/city_data.py).

Builds, reproducibly from a seed and the reference day, a city of N families with 1.5 N children, the
seed-003 catalogue for one school site per 1,000 families over two seasons (the previous school year,
complete, and the current one), validated enrolments, bookings in realistic patterns, Occupancy
counters equal to the bookings that hold a place, monthly invoices with their lines, payments,
message threads and family documents.

One module per app's data, run in this order by ``build``: ``families``, ``catalogue`` (activities,
units, tariffs, régies), ``enrolment`` (enrolments, bookings, counters), ``billing`` (invoices,
payments), ``messaging``, ``documents``. ``bulk`` holds the COPY helpers, ``shared`` the run and
the city's constants.

Everything big goes through PostgreSQL COPY (psycopg 3 ``cursor.copy``) in one transaction; the
catalogue (a few hundred rows) goes through the ORM. Every city family has ``is_demo=True`` and a
number starting with "V"; every city guardian logs in with ``CITY_PASSWORD`` (one precomputed hash).
Separate from the demo data: it refuses a database holding real families unless ``force``.

Not production code: it writes the booking and invoice tables directly, bypassing the services, to
load millions of rows in minutes. Django must be set up before it is imported.
"""
from .build import build
from .shared import CITY_PASSWORD, CityError, city_email

__all__ = ["CITY_PASSWORD", "CityError", "build", "city_email"]
