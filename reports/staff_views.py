"""Staff pages of the reports: the CAF return (page, CSV, Excel) and the statistics with their charts.

Included by portal/urls.py at /personnel/rapports/ through ``portal.staff.staff_only``.
"""
import datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from enrolment.models import Activity, Unit

from . import charts, exports, selectors
from .forms import ReportPeriodForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _today():
    return timezone.localdate()


def _period_form(request, *, default_start):
    activities = list(Activity.objects.select_related("activity_type").order_by("-season_start", "name"))
    today = _today()
    data = request.GET.copy()
    data.setdefault("du", default_start.isoformat())
    data.setdefault("au", today.isoformat())
    form = ReportPeriodForm(data, activities=activities)
    return form, activities


def caf(request):
    form, activities = _period_form(request, default_start=_today().replace(month=1, day=1))
    report = None
    if form.is_valid() and form.cleaned_data["activity"]:
        report = selectors.caf_report(activity=form.cleaned_data["activity"], start=form.cleaned_data["du"],
                                      end=form.cleaned_data["au"])
        fmt = request.GET.get("format")
        name = f"bilan-caf-{report['activity'].pk}-{report['start']:%Y%m%d}-{report['end']:%Y%m%d}"
        if fmt == "csv":
            response = HttpResponse(exports.caf_csv(report), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
        if fmt == "xlsx":
            response = HttpResponse(exports.caf_xlsx(report), content_type=XLSX)
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
    return render(request, "reports/staff/caf.html", {"form": form, "report": report,
                                                      "query": request.GET.urlencode()})


def statistics(request):
    today = _today()
    form, activities = _period_form(request, default_start=(today - datetime.timedelta(days=90)).replace(day=1))
    context = {"form": form}
    if form.is_valid():
        start, end, activity = form.cleaned_data["du"], form.cleaned_data["au"], form.cleaned_data["activity"]
        if activity is not None:
            units = list(Unit.objects.filter(activity=activity).select_related("activity"))
            unit = next((u for u in units if str(u.pk) == request.GET.get("unite")), units[0] if units else None)
            context.update(activity=activity, units=units, unit=unit)
            if unit is not None:
                occ = selectors.occupancy_by_day(unit=unit, start=start, end=end)
                context["occupancy"] = occ
                context["occupancy_chart"] = charts.bar_chart(
                    title=f"Places réservées par jour – {unit.name}",
                    labels=[f"{d['date']:%d/%m}" for d in occ["days"]],
                    series=[("Réservées", [d["booked"] for d in occ["days"]])],
                    limit=[d["capacity"] for d in occ["days"]])
                context["week_chart"] = charts.bar_chart(
                    title=f"Taux d'occupation par semaine – {unit.name} (%)",
                    labels=[f"{w['start']:%d/%m}" for w in occ["weeks"]],
                    series=[("Taux d'occupation", [w["rate"] or 0 for w in occ["weeks"]])], limit=[100] * len(occ["weeks"]))
            weeks = selectors.bookings_against_attendance(activity=activity, start=start, end=end)
            context["attendance"] = weeks
            context["attendance_chart"] = charts.bar_chart(
                title="Réservations et présences par semaine", labels=[f"{w['start']:%d/%m}" for w in weeks],
                series=[("Réservés", [w["booked"] for w in weeks]), ("Présents", [w["present"] for w in weeks]),
                        ("Absents non excusés", [w["absent_billed"] for w in weeks])])
        regies = selectors.revenue_by_regie(start=start, end=end)
        for i, regie in enumerate(regies):
            regie["chart_id"] = f"chart-regie-{i}"
            regie["chart"] = charts.bar_chart(
                title=f"Facturé et impayé par mois – {regie['name']} (€)",
                labels=[f"{m['month']:%m/%Y}" for m in regie["months"]],
                series=[("Facturé", [m["invoiced"] for m in regie["months"]]),
                        ("Impayé", [m["unpaid"] for m in regie["months"]])])
        context["regies"] = regies
    spread = selectors.quotient_spread(today=today)
    context["quotients"] = spread
    context["quotient_chart"] = charts.bar_chart(title="Familles par tranche de quotient familial",
                                                 labels=[r["short"] for r in spread],
                                                 series=[("Familles", [r["families"] for r in spread])], label_every=1)
    return render(request, "reports/staff/statistics.html", context)
