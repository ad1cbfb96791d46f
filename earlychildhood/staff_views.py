"""Staff pages of « Petite enfance » where the admin is clumsy: the commission (scores and decisions,
then holding it), its printable minute, the crèche's arrival and departure sheet, and monthly invoicing.
Included at /personnel/petite-enfance/ through ``portal.staff.staff_only``."""
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from portal.errors import DomainError

from . import pdf, selectors
from .forms import AttendanceForm, DayForm, DecisionForm, MonthForm
from .models import Attendance, ChildcareContract, CommissionSession, MonthlyStatement, PreEnrolment
from .services import commission, contracts


def home(request):
    return render(request, "earlychildhood/staff/home.html", {
        "sessions": list(CommissionSession.objects.order_by("-date")[:20]),
        "pending": PreEnrolment.objects.filter(status=PreEnrolment.Status.PENDING).count(),
    })


def session_detail(request, session_id):
    session = get_object_or_404(CommissionSession, pk=session_id)
    if request.method == "POST":
        if "hold" in request.POST:
            try:
                count = commission.session_hold(session=session, by=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Commission close : {count} décision(s) envoyée(s) aux familles.")
            return redirect("earlychildhood_staff:session", session_id=session.pk)
        pre = get_object_or_404(PreEnrolment, pk=request.POST.get("pre"))
        form = DecisionForm(request.POST, session=session, prefix=f"d{pre.pk}")
        if form.is_valid():
            try:
                commission.decision_record(session=session, pre=pre, kind=form.cleaned_data["kind"],
                                           places=form.cleaned_data["places"], reason=form.cleaned_data["reason"],
                                           by=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"Décision enregistrée pour la demande n° {pre.pk}.")
        else:
            messages.error(request, "Décision incomplète : " + " ".join(e for errs in form.errors.values() for e in errs))
        return redirect(f"{request.path}#demande-{pre.pk}")
    pres = selectors.session_requests(session)
    places = selectors.session_places(session)
    for pre in pres:
        initial = {}
        if pre.decision:
            initial = {"kind": pre.decision.kind, "places": pre.decision.places_id, "reason": pre.decision.reason}
        pre.form = DecisionForm(session=session, prefix=f"d{pre.pk}", initial=initial, places=places)
    return render(request, "earlychildhood/staff/session.html", {
        "session": session, "places": places, "pres": pres,
        "preparing": session.status == CommissionSession.Status.PREPARING,
    })


def session_minute(request, session_id):
    session = get_object_or_404(CommissionSession, pk=session_id)
    response = HttpResponse(pdf.session_minute_pdf(session), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="commission-{session.date:%Y-%m-%d}.pdf"'
    return response


def attendance(request):
    form = DayForm(request.GET or None)
    nursery = day = None
    if form.is_valid():
        nursery, day = form.cleaned_data["nursery"], form.cleaned_data["date"]
    day = day or timezone.localdate()
    rows = []
    if nursery is not None:
        if request.method == "POST":
            posted = AttendanceForm(request.POST)
            if posted.is_valid():
                contract = get_object_or_404(ChildcareContract, pk=posted.cleaned_data["contract"], nursery=nursery)
                try:
                    contracts.attendance_record(contract=contract, day=day, arrival=posted.cleaned_data["arrival"],
                                                departure=posted.cleaned_data["departure"], by=request.user)
                except DomainError as exc:
                    messages.error(request, exc.message)
                else:
                    messages.success(request, f"Horaires de {contract.child_name} enregistrés.")
            else:
                messages.error(request, "Indiquez au moins l'heure d'arrivée.")
            return redirect(request.get_full_path())
        active = list(ChildcareContract.objects.filter(nursery=nursery, start_date__lte=day, end_date__gte=day)
                      .select_related("section").order_by("child_name"))
        recorded = {a.contract_id: a for a in Attendance.objects.filter(contract__in=active, date=day)}
        for c in active:
            slot = c.schedule.get(str(day.weekday()))
            a = recorded.get(c.pk)
            rows.append({"contract": c, "slot": slot, "attendance": a, "form": AttendanceForm(
                prefix=None, initial={"contract": c.pk, "arrival": a.arrival if a else (slot[0] if slot else None),
                                      "departure": a.departure if a else None})})
    return render(request, "earlychildhood/staff/attendance.html", {"form": form, "nursery": nursery, "day": day,
                                                                    "rows": rows})


def invoicing(request):
    form = MonthForm(request.POST or request.GET or None)
    statements, month = [], None
    if form.is_valid():
        nursery, month = form.cleaned_data["nursery"], form.cleaned_data["month"]
        if request.method == "POST":
            try:
                created, skipped = contracts.nursery_month_invoice(nursery=nursery, month=month, by=request.user)
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, f"{len(created)} facture(s) émise(s) ; {skipped} contrat(s) déjà facturé(s).")
            return redirect(f"{request.path}?nursery={nursery.pk}&month={month:%Y-%m-%d}")
        statements = list(MonthlyStatement.objects.filter(month=month, contract__nursery=nursery)
                          .select_related("contract", "invoice").order_by("contract__child_name"))
    return render(request, "earlychildhood/staff/invoicing.html", {
        "form": form, "month": month, "statements": statements,
        "caf": selectors.caf_hours(year=month.year) if month else [],
    })



