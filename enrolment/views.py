"""Parent pages: Inscriptions, Planning – Réservations, the basket and the private calendar feed. The staff
pages (attendance, occupancy, certificates) are in staff_views.py, under /personnel/inscriptions/.

Thin views: fetch through families.access, validate a form, call a service (the basket's decisions are in
basket.py), catch only domain errors.
"""
import datetime

from django.contrib import messages
from django.db.models import Subquery
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from families.access import child_get_for_user, family_scoped, parent_required, scoped_get
from families.models import Child
from portal.errors import DomainError
from portal.templatetags.portal_text import de, plural_s

from . import calendar_html, loaders, rules, selectors, services
from .index_sections import index_sections
from .basket import Basket, basket_apply_pattern, basket_apply_ticks, basket_tick_unit
from .forms import AbsenceForm, GroupChoiceForm, PatternForm, RequestStepForm, WaitingListForm
from .models import Booking, CalendarFeed, Enrolment, WaitingListEntry


def _today():
    return timezone.localdate(timezone.now(), rules.PARIS)


def _validated():
    """Validated enrolments of active children, with child and group (scope them through families.access)."""
    return Enrolment.objects.validated().select_related("child", "group")


def _enrolment(request, enrolment_id):
    """The family's validated enrolment (404 otherwise), its activity (with type and structure) taken from
    the cached catalogue. The catalogue used is kept on ``enrolment.catalogue`` for the rest of the request."""
    return _with_catalogue(scoped_get(_validated(), user=request.user, pk=enrolment_id))


def _with_catalogue(enrolment):
    enrolment.catalogue = loaders.catalogue_for([enrolment.activity_id])
    enrolment.activity = enrolment.catalogue.activities[enrolment.activity_id]
    return enrolment


def _enrolment_and_siblings(request, enrolment_id):
    """``_enrolment`` and the family's validated enrolments to the same activity (the children the
    pattern pages offer), in one query."""
    same_activity = _validated().filter(
        activity_id=Subquery(Enrolment.objects.filter(pk=enrolment_id).order_by().values("activity_id")[:1]))
    siblings = list(family_scoped(same_activity, user=request.user).order_by("child__birth_date", "id"))
    enrolment = next((e for e in siblings if e.pk == enrolment_id), None)
    if enrolment is None:
        raise Http404
    _with_catalogue(enrolment)
    for e in siblings:
        e.activity = enrolment.activity
    return enrolment, siblings


def _month_url(enrolment, day, edit=False):
    url = reverse("enrolment:month", args=[enrolment.pk, day.year, day.month])
    return url + ("?modifier=1" if edit else "")


# --------------------------------------------------------------------------- Inscriptions
# Enrolment status badges: (badge class, symbol, text); the symbol is hidden from screen readers.
STATUS_BADGES = {
    Enrolment.Status.VALIDATED: ("text-bg-success", "V", "Validée"),
    Enrolment.Status.PENDING: ("text-bg-warning", "?", "En attente de validation"),
    Enrolment.Status.REFUSED: ("text-bg-danger", "✗", "Refusée"),
}


@parent_required
def index(request):
    children = selectors.family_enrolments(family=request.family)
    # Texts and links computed once here rather than per row in the template (URLs reversed once).
    month_default = reverse("enrolment:month_default", args=[0])[:-len("0/")]
    certificate = reverse("enrolment:certificate", args=[0])[:-len("0/")]
    for child in children:
        child.rows = []
        for e in child.enrolments.all():
            badge = STATUS_BADGES.get(e.status, ("text-bg-secondary", "", e.get_status_display()))
            child.rows.append({
                "e": e, "badge": badge, "requested": timezone.localtime(e.requested_at).strftime("%d/%m/%Y"),
                "month_url": f"{month_default}{e.pk}/", "certificate_url": f"{certificate}{e.pk}/",
            })
    return render(request, "enrolment/index.html", {"children": children, "request_url": reverse("enrolment:request"),
                                                    "sections": index_sections(request)})


@parent_required
def request_enrolment(request):
    """Child(ren) → structure → activity type → activity → group per child → request."""
    children = list(Child.objects.for_family(request.family).filter(is_active=True).order_by("birth_date"))
    data = request.POST if request.method == "POST" else (request.GET if "children" in request.GET else None)
    initial = {"children": [request.GET.get("enfant")]} if request.GET.get("enfant") else None
    form = RequestStepForm(data, children=children, structures=selectors.catalogue(), initial=initial)
    activity = form.selected["activity"] if data is not None and form.is_valid() else None
    chosen = [c for c in children if str(c.id) in form.cleaned_data["children"]] if activity else []
    groups_by_child = _groups_by_child(chosen, activity) if activity else []
    if request.method == "POST" and activity is not None and "envoyer" in request.POST:
        choice = GroupChoiceForm(request.POST, groups_by_child=groups_by_child)
        if not choice.is_valid():
            messages.error(request, " ".join(choice.non_field_errors()))
        elif _send_requests(request, activity, choice.cleaned_data["requests"]):
            return redirect("enrolment:index")
    deadlines = _deadlines(loaders.catalogue_for([activity.pk]), activity.pk) if activity else []
    return render(request, "enrolment/request.html", {
        "form": form, "activity": activity, "groups_by_child": groups_by_child, "chosen": chosen,
        "bound": data is not None, "deadlines": deadlines,
    })


def _groups_by_child(children, activity):
    """[(child, the activity's groups the child may join)]."""
    groups = list(activity.groups.all())
    return [(child, services.eligible_groups(child=child, activity=activity, groups=groups)) for child in children]


def _send_requests(request, activity, requests):
    """Ask for the enrolments [(child, group)] and say what became of each; True if one was recorded."""
    results = services.enrolment_request_siblings(requests=requests, activity=activity, by=request.user)
    for r in results:
        if r.error:
            messages.error(request, r.error)
        elif r.enrolment.status == Enrolment.Status.VALIDATED:
            messages.success(request, f"Inscription {de(r.child.first_name)} à « {activity.parent_name} » validée.")
        else:
            messages.success(request, f"Demande d'inscription {de(r.child.first_name)} à « {activity.parent_name} » "
                                      f"envoyée : elle attend la validation du service.")
    return any(r.enrolment for r in results)


@parent_required
def certificate(request, enrolment_id):
    enrolment = _enrolment(request, enrolment_id)
    try:
        pdf = services.enrolment_certificate_pdf(enrolment=enrolment)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("enrolment:index")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attestation-inscription-{enrolment.pk}.pdf"'
    return response


# --------------------------------------------------------------------------- Planning
@parent_required
def planning(request):
    enrolments = selectors.validated_enrolments(family=request.family)
    basket = Basket(request.session)
    today = _today()
    month_default = reverse("enrolment:month_default", args=[0])[:-len("0/")]
    child_month = reverse("enrolment:child_month_default", args=[0])[:-len("0/")]
    cat = loaders.catalogue_for({e.activity_id for e in enrolments})
    rows = [{"e": e, "rule": _rule_text(e.activity), "deadlines": _deadlines(cat, e.activity_id),
             "url": f"{month_default}{e.pk}/"} for e in enrolments]
    children = sorted({e.child for e in enrolments}, key=lambda c: (c.birth_date, c.first_name))
    return render(request, "enrolment/planning.html", {
        "enrolments": enrolments, "rows": rows, "basket_count": len(basket), "today": today,
        "children": [(c, f"{child_month}{c.pk}/") for c in children],
        "feed": CalendarFeed.objects.for_family(request.family).first(),
    })


def _rule_text(activity):
    """The booking rule of an activity, as the planning list states it."""
    if activity.booking_rule == rules.MONTHLY:
        return f"Jusqu'au {activity.deadline_day} du mois pour le mois suivant"
    if activity.booking_rule == rules.WINDOW:
        return "Aux périodes de réservation définies"
    return f"Jusqu'à {activity.notice_days} jour(s) avant, {activity.notice_time:%H:%M}"


def _default_month(enrolment):
    """The first month that can still be changed (the current one, clamped to the season, if none)."""
    cat = enrolment.catalogue
    return rules.first_changeable_month(cat.policies[enrolment.activity_id], cat.calendars[enrolment.activity_id],
                                        timezone.now())


def _deadlines(cat, activity_id):
    """The next booking deadline(s) of an activity, in words (rules.deadline_sentences)."""
    return rules.deadline_sentences(cat.policies[activity_id], cat.calendars[activity_id], timezone.now())


@parent_required
def month_default(request, enrolment_id):
    enrolment = _enrolment(request, enrolment_id)
    year, month = _default_month(enrolment)
    return redirect("enrolment:month", enrolment.pk, year, month)


@parent_required
def month(request, enrolment_id, year, month):
    enrolment = _enrolment(request, enrolment_id)
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404
    basket = Basket(request.session)
    if request.method == "POST":
        return _month_post(request, enrolment, year, month, basket)
    edit = request.GET.get("modifier") == "1"
    cal = selectors.month_calendar(enrolment=enrolment, year=year, month=month, basket=basket.for_child(
        enrolment.child_id), cat=enrolment.catalogue)
    days = cal["days"]
    editable_days = any(d.editable for d in days if d.is_open)
    return render(request, "enrolment/month.html", {
        "enrolment": enrolment, "cal": cal, "edit": edit, "basket_count": len(basket),
        "legend_html": calendar_html.legend(selectors.LEGEND),
        "unit_rules": _unit_rule_statements(enrolment) if edit else [],
        "editable_days": editable_days, "deadlines": _deadlines(enrolment.catalogue, enrolment.activity_id),
        "locked_reason": next((d.reason for d in days if d.is_open and not d.editable), ""),
        "urls": _month_urls(enrolment, cal, year, month),
        "request_windows": _request_windows(enrolment, cal),
        **_month_markup(enrolment, cal, edit),
    })


def _request_windows(enrolment, cal):
    """The activity's windows in their request phase (or waiting for the allocation) that touch the month,
    with what the calendar says of them (issue 17: requests, then an allocation)."""
    policy = enrolment.catalogue.policies[enrolment.activity_id]
    if not rules.has_request_windows(policy):
        return []
    return [{"window": w, "note": rules.request_phase_note(w)} for w in policy.windows
            if w.mode == rules.REQUESTS and w.period_start <= cal["last"] and w.period_end >= cal["first"]]


def _unit_names(enrolment):
    units = enrolment.catalogue.units_of.get(enrolment.activity_id, ())
    return [u.id for u in units], {u.id: u.name for u in units}


def _unit_rule_statements(enrolment):
    """The unit rules of the activity, said next to the boxes (rules.unit_rule_statements)."""
    ids, names = _unit_names(enrolment)
    cat = enrolment.catalogue
    return rules.unit_rule_statements(ids, cat.incompatible, cat.required, names)


def _ticked_problems(enrolment, ticked):
    """The unit rules broken by the ticked boxes (« YYYY-MM-DD:unit_id »), day by day, in French — the
    same rule function as the commit's check (rules.unit_rule_problems)."""
    ids, names = _unit_names(enrolment)
    per_day = {}
    for key in ticked:
        day, _, unit = key.partition(":")
        try:
            date, unit_id = datetime.date.fromisoformat(day), int(unit)
        except ValueError:
            continue
        if unit_id in names:
            per_day.setdefault(date, set()).add(unit_id)
    cat = enrolment.catalogue
    return [f"{services.booking.fr_day(day)} : {problem}" for day in sorted(per_day)
            for problem in rules.unit_rule_problems(per_day[day], cat.incompatible, cat.required, names)]


@parent_required
@require_POST
def unit_rules_check(request, enrolment_id):
    """htmx: the unit rules the ticked boxes break, checked as the parent ticks (the partial only)."""
    enrolment = _enrolment(request, enrolment_id)
    problems = _ticked_problems(enrolment, request.POST.getlist("case"))
    return render(request, "enrolment/_unit_rules_live.html", {"problems": problems})


def _month_markup(enrolment, cal, edit):
    """The days and cells, written by calendar_html (≈ 400 template nodes less per page)."""
    if edit:
        return {"edit_rows": calendar_html.edit_rows(cal["days"], len(cal["units"]))}
    # Each day links to its week: the URL is reversed once, not per day.
    week = reverse("enrolment:week", args=[enrolment.pk, 2000, 1, 1])[:-len("2000/1/1/")]
    absence = reverse("enrolment:absence", args=[0])[:-len("0/")]
    today = _today()
    for d in cal["days"]:
        d.url = f"{week}{d.date.year}/{d.date.month}/{d.date.day}/"
        if d.date >= today:  # absences can be declared from the month too, not only from the week
            for cell in d.cells:
                if cell.state in ("reserved", "requested") and cell.basket != "cancel":
                    cell.absence_url = f"{absence}{cell.booking_id}/"
    return {"month_days": calendar_html.month_days(cal["days"], cal["offset"])}


def _month_urls(enrolment, cal, year, month):
    base = reverse("enrolment:month", args=[enrolment.pk, year, month])[:-len(f"{year}/{month}/")]
    # The fortnight and the week open on the month's first day that can still change (the one the planning
    # opens on), else on its first day.
    first = rules.first_changeable_date(enrolment.catalogue.policies[enrolment.activity_id],
                                        enrolment.catalogue.calendars[enrolment.activity_id], timezone.now())
    anchor = first if (first.year, first.month) == (year, month) else cal["first"]
    return {
        "prev": f"{base}{cal['prev'].year}/{cal['prev'].month}/", "this": f"{base}{year}/{month}/",
        "next": f"{base}{cal['next'].year}/{cal['next'].month}/",
        "views": _view_switch(enrolment, "month", month=(year, month), start=anchor),
    }


# The calendar's three views, as the switcher names them: (key, label, days shown; None for the month).
VIEWS = (("month", "Mois", None), ("fortnight", "Quinzaine", 14), ("week", "Semaine", 7))
SPANS = {days: key for key, _, days in VIEWS if days}


def _view_switch(enrolment, current, *, month, start):
    """The « Mois · Quinzaine · Semaine » links: the month ``month`` (year, month), the fortnight and the week
    from the Monday of ``start``'s week; ``current`` is the view shown (aria-current)."""
    monday = start - datetime.timedelta(days=start.weekday())
    links = []
    for key, label, _ in VIEWS:
        args = [enrolment.pk, *month] if key == "month" else [enrolment.pk, monday.year, monday.month, monday.day]
        links.append({"label": label, "url": reverse(f"enrolment:{key}", args=args), "current": key == current})
    return links


def _month_post(request, enrolment, year, month, basket):
    """Edit mode: « Tout cocher » for one unit, or the ticked cells into the basket (basket.py decides)."""
    first = datetime.date(year, month, 1)
    if request.POST.get("tout_cocher"):
        count = basket_tick_unit(basket, enrolment=enrolment, year=year, month=month,
                                 unit_id=request.POST["tout_cocher"])
        messages.info(request, f"{count} jour{plural_s(count)} ajouté{plural_s(count)} à vos réservations à "
                               f"confirmer.")
        return redirect(_month_url(enrolment, first, edit=True) + "#calendrier")
    return _ticks_post(request, enrolment, basket, first, rules.month_bounds(year, month)[1],
                       back=_month_url(enrolment, first, edit=True))


def _ticks_post(request, enrolment, basket, start, end, *, back):
    """The ticked cells of ``start``–``end`` into the basket (basket.py decides); then the recap, or back to the
    edit mode at ``back``. The month, the week and the fortnight send their boxes here."""
    ticked = set(request.POST.getlist("case"))
    basket_apply_ticks(basket, enrolment=enrolment, start=start, end=end, ticked=ticked)
    for problem in _ticked_problems(enrolment, ticked):  # said now, not only at the commit
        messages.warning(request, problem)
    if request.POST.get("suite") == "recap":
        return redirect("enrolment:basket")
    messages.info(request, "Vos choix sont gardés : confirmez-les depuis « Mes réservations à confirmer ».")
    return redirect(back + "#calendrier")


def _span_start(year, month, day):
    """The Monday of the week of the day in the address (404 for a date that does not exist)."""
    if not 2000 <= year <= 2100:  # a 20-digit year would overflow date() (issue 15)
        raise Http404
    try:
        ref = datetime.date(year, month, day)
    except (ValueError, OverflowError):  # OverflowError: a 20-digit month or day
        raise Http404 from None
    return ref - datetime.timedelta(days=ref.weekday())


def _span_url(enrolment, start, length, edit=False):
    url = reverse(f"enrolment:{SPANS[length]}", args=[enrolment.pk, start.year, start.month, start.day])
    return url + ("?modifier=1" if edit else "")


def _span(request, enrolment_id, year, month, day, length):
    """The week (7 days) and the fortnight (« Quinzaine », 14 days) from a Monday: the days one under the
    other (a list on a phone as on a computer), each unit's state in words; « Modifier » turns them into the
    month's boxes (the same table, basket and unit rules check)."""
    start = _span_start(year, month, day)
    enrolment = _enrolment(request, enrolment_id)
    end = start + datetime.timedelta(days=length - 1)
    basket = Basket(request.session)
    if request.method == "POST":
        return _ticks_post(request, enrolment, basket, start, end, back=_span_url(enrolment, start, length, edit=True))
    edit = request.GET.get("modifier") == "1"
    days = selectors.calendar_days(enrolment=enrolment, start=start, end=end, cat=enrolment.catalogue,
                                   basket=basket.for_child(enrolment.child_id))
    units = list(enrolment.catalogue.units_of.get(enrolment.activity_id, ()))
    editable_days = any(d.editable for d in days if d.is_open)
    step = datetime.timedelta(days=length)
    return render(request, "enrolment/span.html", {
        "enrolment": enrolment, "days": days, "start": start, "end": end, "length": length, "edit": edit,
        "noun": "quinzaine" if length == 14 else "semaine",
        "legend_html": calendar_html.legend(selectors.LEGEND), "units": units,
        "editable_days": editable_days, "basket_count": len(basket),
        "deadlines": _deadlines(enrolment.catalogue, enrolment.activity_id),
        "locked_reason": next((d.reason for d in days if d.is_open and not d.editable), ""),
        "unit_rules": _unit_rule_statements(enrolment) if edit else [],
        "edit_rows": calendar_html.edit_rows(days, len(units)) if edit else "",
        "urls": {"prev": _span_url(enrolment, start - step, length, edit), "this": _span_url(enrolment, start, length),
                 "next": _span_url(enrolment, start + step, length, edit)},
        "views": _view_switch(enrolment, SPANS[length], month=(start.year, start.month), start=start),
    })


@parent_required
def week(request, enrolment_id, year, month, day):
    return _span(request, enrolment_id, year, month, day, length=7)


@parent_required
def fortnight(request, enrolment_id, year, month, day):
    return _span(request, enrolment_id, year, month, day, length=14)


@parent_required
def fortnight_default(request, enrolment_id):
    """The fortnight of the first day that can still change (the month opens on its month)."""
    enrolment = _enrolment(request, enrolment_id)
    cat = enrolment.catalogue
    day = rules.first_changeable_date(cat.policies[enrolment.activity_id], cat.calendars[enrolment.activity_id],
                                      timezone.now())
    return redirect(_span_url(enrolment, day - datetime.timedelta(days=day.weekday()), 14))


@parent_required
def pattern(request, enrolment_id, mode):
    """"Sélection en masse" (mode masse) and "Semaine type" (mode semaine), for this child and siblings."""
    if mode not in ("masse", "semaine"):
        raise Http404
    enrolment, siblings = _enrolment_and_siblings(request, enrolment_id)
    units = list(enrolment.catalogue.units_of.get(enrolment.activity_id, ()))
    first, last = rules.month_bounds(*_default_month(enrolment))
    initial = {"start": first, "end": last, "children": [str(enrolment.child_id)], "action": "book"}
    form = PatternForm(request.POST or None, mode=mode, units=units, siblings=siblings, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        added, skipped = basket_apply_pattern(
            Basket(request.session), enrolments=[e for e in siblings if str(e.child_id) in data["children"]],
            start=data["start"], end=data["end"], pattern=form.pattern(), action=data["action"],
            cat=enrolment.catalogue,
        )
        text = f"{added} changement{plural_s(added)} ajouté{plural_s(added)} à vos réservations à confirmer."
        if skipped:
            text += (f" {skipped} jour{plural_s(skipped)} non modifiable{plural_s(skipped)} (hors délai) "
                     f"ignoré{plural_s(skipped)}.")
        messages.success(request, text)
        return redirect(_month_url(enrolment, data["start"], edit=True))
    return render(request, "enrolment/pattern.html", {
        "enrolment": enrolment, "form": form, "mode": mode, "units": units,
        "deadlines": _deadlines(enrolment.catalogue, enrolment.activity_id)})


@parent_required
def basket_view(request):
    basket = Basket(request.session)
    action = _BASKET_ACTIONS.get(request.POST.get("action")) if request.method == "POST" else None
    if action is not None:
        return action(request, basket)
    return _basket_page(request, basket)


def _basket_clear(request, basket):
    """« Tout supprimer »."""
    basket.clear()
    basket.save()
    messages.info(request, "Vos réservations à confirmer ont été retirées : rien n'a été enregistré.")
    return redirect("enrolment:planning")


def _basket_remove(request, basket):
    """« Retirer » one line."""
    try:
        child_id, unit_id, day = request.POST.get("key", "").split(":")
        basket.discard(int(child_id), int(unit_id), day)
    except ValueError:
        pass
    basket.save()
    return redirect("enrolment:basket")


def _basket_commit(request, basket):
    """« Confirmer mes réservations »: every change in one transaction, or none (the recap says why, HTTP 400)."""
    try:
        result = services.booking_commit(family=request.family, changes=basket.changes(), by=request.user)
    except DomainError as exc:
        return _basket_page(request, basket, error=exc, status=400)
    basket.clear()
    basket.save()
    if result["asked"] or result["withdrawn"]:
        messages.success(request, f"Demandes enregistrées : {result['asked']} jour(s) demandé(s), "
                                  f"{result['withdrawn']} demande(s) retirée(s). Aucune place n'est prise avant "
                                  f"l'attribution : vous pouvez modifier vos demandes jusqu'à la fin de la phase.")
    if not (result["booked"] or result["cancelled"]):
        return redirect("enrolment:planning")
    request.session[CONFIRMATION_KEY] = {"booked": [b.pk for b in result["booked"]],
                                         "cancelled": [b.pk for b in result["cancelled"]]}
    return redirect("enrolment:confirmation")


CONFIRMATION_KEY = "enrolment-confirmation"


@parent_required
def confirmation(request):
    """What the last « Confirmer mes réservations » recorded: each day booked or cancelled, its price, the
    total and each month's total (the recap e-mail carries the same, selectors.booking_confirmation)."""
    ids = request.session.get(CONFIRMATION_KEY)
    if not ids:
        return redirect("enrolment:planning")
    bookings = Booking.objects.for_family(request.family).filter(
        pk__in=ids.get("booked", []) + ids.get("cancelled", [])).select_related("child")
    cat = loaders.catalogue()
    booked, cancelled = [], []
    for b in bookings:
        b.unit = cat.units[b.unit_id] if b.unit_id in cat.units else b.unit
        (cancelled if b.pk in ids.get("cancelled", []) else booked).append(b)
    recap = selectors.booking_confirmation(family=request.family, booked=booked, cancelled=cancelled)
    return render(request, "enrolment/confirmation.html", {"recap": recap})


_BASKET_ACTIONS = {"clear": _basket_clear, "remove": _basket_remove, "commit": _basket_commit}


def _basket_page(request, basket, error=None, status=200):
    """The recap (also answered, with the refusal, when « Confirmer mes réservations » is refused: HTTP 400)."""
    recap = selectors.basket_recap(family=request.family, items=basket.items())
    # Every line has its « Retirer » form: the CSRF field is rendered once for all of them.
    csrf_input = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
    return render(request, "enrolment/basket.html", {"recap": recap, "error": error, "count": len(basket),
                                                     "csrf_input": csrf_input}, status=status)


@parent_required
def child_month(request, child_id, year, month):
    child = child_get_for_user(child_id=child_id, user=request.user)
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404
    grid = selectors.child_month_planning(child=child, year=year, month=month)
    # The day cells are written by calendar_html.
    grid["head"] = calendar_html.planning_head(grid["dates"])
    for row in grid["rows"]:
        row["cells_html"] = calendar_html.planning_cells(row["cells"])
    grid["days_html"] = calendar_html.planning_days(grid["dates"], grid["rows"])
    return render(request, "enrolment/child_month.html", {"child": child, "grid": grid,
                                                          "legend_html": calendar_html.legend(selectors.LEGEND)})


@parent_required
def child_month_default(request, child_id):
    child = child_get_for_user(child_id=child_id, user=request.user)
    today = _today()
    return redirect("enrolment:child_month", child.pk, today.year, today.month)


@parent_required
def absence(request, booking_id):
    booking = scoped_get(Booking.objects.select_related("child", "unit__activity", "enrolment"), user=request.user,
                         pk=booking_id)
    form = AbsenceForm(request.POST or None, request.FILES or None)
    policy = loaders.policies_for([booking.unit.activity])[booking.unit.activity_id]
    if request.method == "POST" and form.is_valid():
        try:
            booking = services.booking_declare_absence(
                booking=booking, by=request.user, reason=form.cleaned_data["reason"],
                certificate=form.cleaned_data["certificate"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            _absence_recorded(request, booking)
            return redirect(_month_url(booking.enrolment, booking.date))
    return render(request, "enrolment/absence.html", {
        "booking": booking, "form": form, "free_until": rules.cancellation_deadline(booking.date, policy),
        "free": rules.cancellation_is_free(booking.date, policy, timezone.now()),
    })


def _absence_recorded(request, booking):
    """What the declared absence became: cancelled free, billed unless excused, or billed."""
    if booking.state == Booking.State.CANCELLED:
        messages.success(request, "Absence enregistrée : la réservation est annulée sans frais.")
    elif booking.excuse == Booking.Excuse.REQUESTED:
        messages.success(request, "Absence enregistrée. Le délai de prévenance est dépassé : elle sera "
                                  "facturée sauf si le service l'excuse au vu du certificat.")
    else:
        messages.warning(request, "Absence enregistrée. Le délai de prévenance est dépassé : elle sera "
                                  "facturée (absent facturé).")


@parent_required
@require_POST
def waiting_join(request, enrolment_id):
    enrolment = _enrolment(request, enrolment_id)
    form = WaitingListForm(request.POST)
    if not form.is_valid():
        raise Http404
    unit = get_object_or_404(enrolment.activity.units, pk=form.cleaned_data["unit"])
    try:
        services.waiting_list_join(child=enrolment.child, unit=unit, date=form.cleaned_data["date"], by=request.user,
                                   auto_book=form.cleaned_data["auto_book"])
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{enrolment.child.first_name} est sur la liste d'attente du "
                                  f"{form.cleaned_data['date']:%d/%m/%Y} ({unit.name}).")
    return redirect(_month_url(enrolment, form.cleaned_data["date"]))


@parent_required
@require_POST
def waiting_leave(request, entry_id):
    entry = scoped_get(WaitingListEntry.objects.select_related("enrolment"), user=request.user, pk=entry_id)
    services.waiting_list_leave(entry=entry)
    messages.info(request, "Retiré de la liste d'attente.")
    return redirect(_month_url(entry.enrolment, entry.date))


# --------------------------------------------------------------------------- iCalendar feed
@parent_required
def feed_manage(request):
    if request.method == "POST":
        CalendarFeed.objects.update_or_create(family=request.family, defaults={"token": CalendarFeed.new_token()})
        messages.success(request, "Nouvelle adresse d'agenda créée : l'ancienne ne fonctionne plus.")
        return redirect("enrolment:feed_manage")
    feed = CalendarFeed.objects.for_family(request.family).first()
    url = request.build_absolute_uri(reverse("enrolment:feed", args=[feed.token])) if feed else ""
    return render(request, "enrolment/feed.html", {"feed": feed, "url": url})


def feed(request, token):
    from icalendar import Calendar, Event  # imported here: ~0.15 s, paid only by the processes serving a feed

    cal_feed = get_object_or_404(CalendarFeed.objects.select_related("family"), token=token)
    cal = Calendar()
    cal.add("prodid", "-//Portail Familles//Réservations//FR")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"Réservations – famille {cal_feed.family.name}")
    for b in selectors.upcoming_bookings_for_feed(family=cal_feed.family, today=_today()):
        ev = Event()
        ev.add("uid", f"booking-{b.pk}@portail-familles")
        ev.add("summary", f"{b.child.first_name} – {b.unit.activity.parent_name} ({b.unit.name})"
                          + (" – demande en attente" if b.state == "requested" else ""))
        if b.unit.start_time and b.unit.end_time:
            ev.add("dtstart", datetime.datetime.combine(b.date, b.unit.start_time, tzinfo=rules.PARIS))
            ev.add("dtend", datetime.datetime.combine(b.date, b.unit.end_time, tzinfo=rules.PARIS))
        else:
            ev.add("dtstart", b.date)
        ev.add("location", b.unit.activity.activity_type.structure.name)
        ev.add("dtstamp", b.updated_at)
        cal.add_component(ev)
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=900"
    return response
