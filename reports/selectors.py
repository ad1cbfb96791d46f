"""Reads of the reports: attended hours (the CAF return) and the staff statistics, each in a bounded number
of queries whatever the period's size (rows are aggregated in the database or read as plain values)."""
import datetime
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import TruncMonth

from billing.models import Invoice
from enrolment import loaders
from enrolment.models import Booking, Occupancy
from families.models import Family

from . import rules

ZERO = Decimal("0.00")


def attended_days(*, activity, start, end):
    """One row per child and day attended (present) in ``activity`` between ``start`` and ``end``: the
    minutes attended (check-in times, else the units' planned hours; units of one day merged). One query."""
    rows = (Booking.objects.filter(unit__activity=activity, date__range=(start, end), state=Booking.State.PRESENT)
            .order_by().values_list("child_id", "child__last_name", "child__first_name", "child__birth_date", "date",
                                    "arrived_at", "left_at", "unit__start_time", "unit__end_time"))
    days = {}
    for child_id, last, first, birth, day, arrived, left, start_time, end_time in rows:
        entry = days.setdefault((child_id, day), {"child_id": child_id, "last_name": last, "first_name": first,
                                                  "birth_date": birth, "date": day, "intervals": []})
        entry["intervals"].append(rules.attended_interval(arrived_at=arrived, left_at=left, start_time=start_time,
                                                          end_time=end_time))
    result = []
    for entry in days.values():
        entry["minutes"] = rules.attended_minutes(entry.pop("intervals"))
        entry["band"] = rules.age_band(entry["birth_date"], entry["date"])
        result.append(entry)
    return sorted(result, key=lambda e: (e["last_name"], e["first_name"], e["child_id"], e["date"]))


def caf_report(*, activity, start, end):
    """The CAF return for one activity and period: per age band (age on the day attended) the children,
    the days attended (actes) and the hours attended; the total; and the detail per child and band.
    A child who turns 6 during the period counts in both bands, and once in the total."""
    days = attended_days(activity=activity, start=start, end=end)
    bands = {code: {"code": code, "label": label, "children": set(), "acts": 0, "minutes": 0}
             for code, label in rules.AGE_BANDS}
    detail = {}
    for d in days:
        band = bands[d["band"]]
        band["children"].add(d["child_id"])
        band["acts"] += 1
        band["minutes"] += d["minutes"]
        line = detail.setdefault((d["child_id"], d["band"]), {
            "last_name": d["last_name"], "first_name": d["first_name"], "birth_date": d["birth_date"],
            "band": dict(rules.AGE_BANDS)[d["band"]], "acts": 0, "minutes": 0})
        line["acts"] += 1
        line["minutes"] += d["minutes"]
    rows = [{**b, "children": len(b["children"]), "hours": rules.hours_label(b["minutes"])} for b in bands.values()]
    minutes = sum(b["minutes"] for b in rows)
    total = {"label": "Total", "children": len({d["child_id"] for d in days}), "acts": len(days),
             "minutes": minutes, "hours": rules.hours_label(minutes)}
    lines = [{**line, "hours": rules.hours_label(line["minutes"])} for line in detail.values()]
    return {"activity": activity, "start": start, "end": end, "rows": rows, "total": total, "detail": lines}


# --------------------------------------------------------------------------- statistics
def occupancy_by_day(*, unit, start, end):
    """Per open day of the unit's activity: places booked (the Occupancy counter) against capacity; and the
    same per week with the rate. Five queries at most."""
    calendar = loaders.calendars_for([unit.activity])[unit.activity_id]
    overrides = loaders.overrides_for([unit.id], (start, end))
    booked = dict(Occupancy.objects.filter(unit=unit, group__isnull=True, date__range=(start, end))
                  .values_list("date", "booked"))
    days = [{"date": d, "booked": booked.get(d, 0), "capacity": loaders.capacity_for(unit, None, d, overrides)}
            for d in calendar.open_days(start, end)]
    weeks = {}
    for d in days:
        w = weeks.setdefault(rules.iso_week_start(d["date"]), {"start": rules.iso_week_start(d["date"]), "booked": 0,
                                                               "capacity": 0, "unlimited": False})
        w["booked"] += d["booked"]
        if d["capacity"] is None:
            w["unlimited"] = True
        else:
            w["capacity"] += d["capacity"]
    for w in weeks.values():
        w["rate"] = None if w["unlimited"] or not w["capacity"] else round(100 * w["booked"] / w["capacity"])
    return {"days": days, "weeks": list(weeks.values())}


def bookings_against_attendance(*, activity, start, end):
    """Per week: days booked, attended, not come without notice (no-shows, billed) and excused. One query."""
    counts = (Booking.objects.filter(unit__activity=activity, date__range=(start, end),
                                     state__in=("reserved", "present", "absent_billed", "excused"))
              .order_by().values("date", "state").annotate(n=Count("id")))
    weeks = defaultdict(lambda: {"booked": 0, "present": 0, "absent_billed": 0, "excused": 0})
    for row in counts:
        w = weeks[rules.iso_week_start(row["date"])]
        w["booked"] += row["n"]
        if row["state"] != "reserved":
            w[row["state"]] += row["n"]
    return [{"start": k, **v, "no_show_rate": round(100 * v["absent_billed"] / v["booked"]) if v["booked"] else 0}
            for k, v in sorted(weeks.items())]


def revenue_by_regie(*, start, end):
    """Per régie and month of issue: invoiced (less credit notes) and still unpaid. One query."""
    net = ExpressionWrapper(F("total") - F("credited_amount"), output_field=DecimalField(max_digits=12, decimal_places=2))
    unpaid = ExpressionWrapper(F("total") - F("credited_amount") - F("paid_amount"),
                               output_field=DecimalField(max_digits=12, decimal_places=2))
    rows = (Invoice.objects.filter(issued_on__range=(start, end)).order_by()
            .annotate(month=TruncMonth("issued_on"))
            .values("regie__name", "month")
            .annotate(invoiced=Sum(net), unpaid=Sum(unpaid, filter=Q(status=Invoice.Status.DUE)))
            .order_by("regie__name", "month"))
    regies = {}
    for r in rows:
        month = r["month"].date() if isinstance(r["month"], datetime.datetime) else r["month"]
        regies.setdefault(r["regie__name"], []).append(
            {"month": month, "invoiced": r["invoiced"] or ZERO, "unpaid": r["unpaid"] or ZERO})
    return [{"name": name, "months": months} for name, months in regies.items()]


def quotient_spread(*, today):
    """Families per quotient bracket (the quotient valid today), and those without one. One query."""
    valid = (Q(quotient__isnull=False) & (Q(quotient_valid_from__isnull=True) | Q(quotient_valid_from__lte=today))
             & (Q(quotient_valid_until__isnull=True) | Q(quotient_valid_until__gte=today)))
    aggregates = {"total": Count("id")}
    for i, (low, high) in enumerate(rules.QUOTIENT_BRACKETS):
        q = valid & Q(quotient__gte=low)
        if high is not None:
            q &= Q(quotient__lt=high)
        aggregates[f"b{i}"] = Count("id", filter=q)
    counts = Family.objects.aggregate(**aggregates)
    rows = [{"label": rules.quotient_bracket_label(low, high), "short": f"≥ {low}" if high is None else f"{low}–{high - 1}",
             "families": counts[f"b{i}"]} for i, (low, high) in enumerate(rules.QUOTIENT_BRACKETS)]
    rows.append({"label": "QF inconnu ou périmé", "short": "inconnu",
                 "families": counts["total"] - sum(r["families"] for r in rows)})
    return rows
