"""Staff pages of the enrolment area where the admin is clumsy: the attendance sheet (with its CSV export),
the occupancy table, the medical certificates families send, and the yearly set-up (next season, move-up).

Included by portal/urls.py at /personnel/inscriptions/ through ``portal.staff.staff_only``: the staff check
is applied there, once, for every view of this module.
"""
import csv
import json
import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from portal.errors import DomainError

from . import rules, selectors, services
from .forms import AttendanceDayForm, CheckInWalkInForm
from .models import Activity, Booking, Group, Structure, Unit
from .services import check_in as check_in_services
from .services.move_up import move_up_apply, move_up_preview
from .services.season import copyable_activities, season_copy, season_copy_preview

CSV_HEADER = ["Nom", "Prénom", "Groupe", "Unité", "État", "Allergies", "PAI", "Personnes autorisées"]


def _today():
    return timezone.localdate(timezone.now(), rules.PARIS)


def _activity_choice(request):
    activities = list(Activity.objects.filter(is_active=True).order_by("name"))
    activity = next((a for a in activities if str(a.pk) == request.GET.get("activite")), None)
    return activities, activity


def attendance(request):
    activities, activity = _activity_choice(request)
    day_form = AttendanceDayForm(request.GET or None)
    day = day_form.cleaned_data["date"] if day_form.is_valid() else _today()
    groups = list(Group.objects.filter(activity=activity)) if activity else []
    group = next((g for g in groups if str(g.pk) == request.GET.get("groupe")), None)
    if request.method == "POST" and activity is not None:
        _attendance_mark(request, activity)
        return redirect(request.get_full_path())
    rows = selectors.attendance_sheet(day=day, activity=activity, group=group) if activity else []
    if activity and request.GET.get("format") == "csv":
        return _attendance_csv(rows, day)
    return render(request, "enrolment/staff/attendance.html", {
        "activities": activities, "activity": activity, "day": day, "groups": groups, "group": group,
        "rows": rows, "day_form": day_form,
    })


def _attendance_mark(request, activity):
    """Record « présent » / « absent » for one booking of the activity shown."""
    booking = get_object_or_404(Booking, pk=request.POST.get("booking"), unit__activity=activity)
    try:
        services.attendance_mark(booking=booking, present=request.POST.get("presence") == "present", by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)


def _attendance_csv(rows, day):
    """The sheet as a CSV for a spreadsheet (UTF-8 with BOM, « ; » separated, as French Excel reads it)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="presences-{day:%Y-%m-%d}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(CSV_HEADER)
    for r in rows:
        b, health = r["booking"], r["health"]
        writer.writerow([
            r["child"].last_name, r["child"].first_name, b.enrolment.group.name, b.unit.name, r["state_text"],
            getattr(health, "allergies", ""), "oui" if getattr(health, "pai", False) else "non",
            ", ".join(f"{p.first_name} {p.last_name} ({p.phone})" for p in r["pick_up"]),
        ])
    return response


def occupancy(request):
    activities, activity = _activity_choice(request)
    today = _today()
    try:
        year, month = int(request.GET.get("annee", today.year)), int(request.GET.get("mois", today.month))
        rules.month_bounds(year, month)
    except ValueError:
        year, month = today.year, today.month
    data = selectors.occupancy_month(activity=activity, year=year, month=month) if activity else None
    return render(request, "enrolment/staff/occupancy.html", {"activities": activities, "activity": activity,
                                                              "data": data})


def certificate_file(request, booking_id):
    """A family's medical certificate (private media are never served from a public URL)."""
    booking = get_object_or_404(Booking, pk=booking_id)
    if not booking.medical_certificate:
        raise Http404
    name = booking.medical_certificate.name.rsplit("/", 1)[-1]
    return FileResponse(booking.medical_certificate.open("rb"), as_attachment=True, filename=name)


# --------------------------------------------------------------------------- check-in (pointage)
def check_in(request):
    """Check-in on a phone or tablet: one site's children of the day (optionally one activity, one unit),
    tapped without reloading (static/enrolment/check_in.js, which keeps the taps through a network cut)."""
    structures = list(Structure.objects.order_by("name"))
    structure = next((s for s in structures if str(s.pk) == request.GET.get("site")), None)
    if structure is None and len(structures) == 1:
        structure = structures[0]
    day_form = AttendanceDayForm(request.GET or None)
    day = day_form.cleaned_data["date"] if day_form.is_valid() else _today()
    activities = list(Activity.objects.filter(is_active=True, activity_type__structure=structure)
                      .order_by("name")) if structure else []
    activity = next((a for a in activities if str(a.pk) == request.GET.get("activite")), None)
    site_units = list(Unit.objects.filter(activity__in=activities).select_related("activity")
                      .order_by("activity__name", "order", "id")) if activities else []
    units = [u for u in site_units if activity and u.activity_id == activity.pk]
    unit = next((u for u in units if str(u.pk) == request.GET.get("unite")), None)
    sheet = selectors.check_in_sheet(day=day, structure=structure, activity=activity, unit=unit) if structure else None
    return render(request, "enrolment/staff/check_in.html", {
        "structures": structures, "structure": structure, "activities": activities, "activity": activity,
        "units": units, "unit": unit, "walk_in_units": [unit] if unit else (units or site_units), "day": day, "day_form": day_form, "sheet": sheet,
        "tap_url": reverse("enrolment_staff:check_in_tap"),
    })


@require_POST
def check_in_tap(request):
    """One tap sent by the check-in page (JSON). Answers the booking's new state; a tap received twice is
    applied once (its id, made on the device)."""
    try:
        data = json.loads(request.body or b"{}")
        tap_id = uuid.UUID(str(data.get("id")))
    except (ValueError, TypeError, AttributeError):
        return JsonResponse({"ok": False, "message": "Pointage illisible : rechargez la page."}, status=400)
    if not isinstance(data, dict):
        return JsonResponse({"ok": False, "message": "Pointage illisible : rechargez la page."}, status=400)
    tapped_at = check_in_services.tap_time(data.get("at"))
    try:
        if data.get("walk_in"):
            walk_in = data["walk_in"] if isinstance(data["walk_in"], dict) else {}
            form = CheckInWalkInForm(walk_in)
            if not form.is_valid():
                return JsonResponse({"ok": False, "message": "Choisissez l'enfant et l'unité."}, status=400)
            booking, applied = check_in_services.check_in_walk_in(
                tap_id=tap_id, enrolment_id=form.cleaned_data["enrolment"], unit_id=form.cleaned_data["unit"],
                day=form.cleaned_data["date"], tapped_at=tapped_at, by=request.user)
        else:
            try:
                booking_id = int(data.get("booking"))
            except (TypeError, ValueError):
                return JsonResponse({"ok": False, "message": "Pointage illisible : rechargez la page."}, status=400)
            booking, applied = check_in_services.check_in_tap(tap_id=tap_id, booking_id=booking_id,
                                                     action=str(data.get("action")), tapped_at=tapped_at,
                                                     by=request.user)
    except DomainError as exc:
        return JsonResponse({"ok": False, "message": exc.message}, status=409)
    return JsonResponse({"ok": True, "applied": applied, "booking": _tap_answer(booking)})


def _tap_answer(booking):
    return {
        "id": booking.pk, "state": booking.state, "label": booking.get_state_display(),
        "arrived_at": booking.arrived_at.strftime("%H:%M") if booking.arrived_at else "",
        "left_at": booking.left_at.strftime("%H:%M") if booking.left_at else "",
        "walk_in": booking.walk_in, "child": f"{booking.child.last_name.upper()} {booking.child.first_name}",
        "unit": booking.unit.name,
        "can_undo": booking.taps.filter(undone=False).exclude(action="undo").exists(),
    }


def _ids(values):
    return sorted({int(v) for v in values if str(v).isdigit()})[:300]


def season_copy_view(request):
    """« Dupliquer pour la saison suivante »: choose activities, look at the preview, confirm."""
    if request.method == "POST":
        ids = _ids(request.POST.getlist("activite"))
        try:
            created = season_copy(activity_ids=ids, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect(f"{reverse('enrolment_staff:season_copy')}?" + "&".join(f"activite={i}" for i in ids))
        messages.success(request, f"{len(created)} activité(s) créée(s) pour la saison suivante : "
                                  f"{', '.join(a.name for a in created)}.")
        return redirect(reverse("admin:enrolment_activity_changelist") + "?id__in="
                        + ",".join(str(a.pk) for a in created))
    ids = _ids(request.GET.getlist("activite"))
    plans, error = [], ""
    if ids:
        try:
            plans = season_copy_preview(activity_ids=ids)
        except DomainError as exc:
            error = exc.message
    return render(request, "enrolment/staff/season_copy.html", {
        "activities": copyable_activities(), "chosen": set(ids), "plans": plans, "error": error,
        "blocked": any(p.conflict for p in plans),
    })


def _school_year(value, today):
    years = range(today.year - 1, today.year + 2)
    year = int(value) if str(value).isdigit() and int(value) in years else rules.school_year_of(today)
    return year, years


def move_up_view(request):
    """« Passage de classe »: the preview of a school year's move-up, then apply it; afterwards its record (the
    children whose school changes, the enrolments to look at)."""
    today = _today()
    if request.method == "POST":
        year, _ = _school_year(request.POST.get("annee"), today)
        try:
            record = move_up_apply(school_year=year, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Passage de classe {rules.school_year_label(year)} fait : "
                                      f"{record.children_moved} enfant(s) dans la classe suivante, "
                                      f"{record.enrolments_moved} inscription(s) changée(s) de groupe.")
        return redirect(f"{reverse('enrolment_staff:move_up')}?annee={year}")
    year, years = _school_year(request.GET.get("annee"), today)
    plan = move_up_preview(school_year=year)
    to_check = []
    if plan.done:
        to_check = list(plan.done.changes.exclude(school_change="", note="").select_related("child__family")
                        .order_by("child__last_name", "child__first_name"))
    return render(request, "enrolment/staff/move_up.html", {
        "plan": plan, "year": year, "years": [(y, rules.school_year_label(y)) for y in years], "to_check": to_check,
    })
