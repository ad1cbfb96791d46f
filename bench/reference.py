"""The reference page of the load test: the least a Django page of ours can cost on this machine.

A minimal view served exactly as the portal is (same gunicorn layout, settings, middleware, PostgreSQL):
four indexed queries (a child by primary key, its enrolments, its bookings of the month on the
(child, date) index, the closure days of the month) and a template that draws a table of 6 × 31 cells.
It touches neither the session nor the user. `bench/run_load.sh ratios` measures the month calendar and
the home page against it in the same run: the ratios hold when the machine's CPU changes, absolute
figures do not. Served only by ``bench.settings`` (never in production).
"""
import calendar
import datetime

from django.http import Http404
from django.shortcuts import render

from enrolment.models import Booking, ClosureDay, Enrolment
from families.models import Child

ROWS, COLUMNS = 6, 31


def reference(request, child_id, year, month):
    child = Child.objects.filter(pk=child_id).only("id", "first_name").first()          # 1: primary key
    if child is None or not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404
    first = datetime.date(year, month, 1)
    last = first.replace(day=calendar.monthrange(year, month)[1])
    enrolments = list(Enrolment.objects.filter(child_id=child.id).values_list("activity_id", flat=True))  # 2
    booked = set(Booking.objects.filter(child_id=child.id, date__range=(first, last))                    # 3: (child, date)
                 .values_list("unit_id", "date"))
    closed = set(ClosureDay.objects.filter(date__range=(first, last)).values_list("date", flat=True))    # 4: date
    units = sorted({u for u, _ in booked})[:ROWS]
    units += [None] * (ROWS - len(units))
    days = [first + datetime.timedelta(days=i) if i < last.day else None for i in range(COLUMNS)]
    rows = [
        {"unit": unit, "cells": [
            "" if day is None else "F" if day in closed else "✓" if (unit, day) in booked else "·" for day in days]}
        for unit in units
    ]
    return render(request, "bench/reference.html", {
        "child": child, "days": days, "rows": rows, "activities": len(enrolments), "month": first,
    })
