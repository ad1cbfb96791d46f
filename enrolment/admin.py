"""Staff side: catalogue, calendar, capacities, and the pending work (enrolments, booking requests, excuses)
first. Admin actions call the same services as the parent pages."""
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from families import counters
from families.models import Child
from portal.admin import ReadOnlyAdminMixin
from portal.errors import DomainError
from portal.models import Organisation

from . import rules, services
from .services.calendar import known_school_years, school_holidays_import
from .models import (
    Activity, ActivityType, Booking, BookingWindow, CalendarFeed, CapacityOverride, ClosureDay, Enrolment, Group,
    MoveUp, MoveUpChange, Occupancy, OpeningPeriod, SchoolHoliday, Structure, Unit, WaitingListEntry,
)


class ActivityTypeInline(admin.TabularInline):
    model = ActivityType
    extra = 0


@admin.register(Structure)
class StructureAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "phone", "email")
    search_fields = ("name",)
    inlines = [ActivityTypeInline]


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "structure", "kind")
    list_filter = ("structure", "kind")
    search_fields = ("name",)


class GroupInline(admin.TabularInline):
    model = Group
    extra = 0


def _sibling_units(activity, unit=None):
    """The units a unit's « incompatible » and « required » pickers offer: those of its own activity only."""
    units = Unit.objects.filter(activity=activity).select_related("activity") if activity is not None else Unit.objects.none()
    return units.exclude(pk=unit.pk) if unit is not None and unit.pk else units


class UnitInline(admin.StackedInline):
    model = Unit
    extra = 0
    fields = (("name", "code", "order"), ("start_time", "end_time", "capacity"), ("is_regular", "billable"),
              "incompatible_units", "required_units")
    filter_horizontal = ("incompatible_units", "required_units")

    def get_formset(self, request, obj=None, **kwargs):
        request._unit_inline_activity = obj  # the activity being edited: its units only in the pickers
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("incompatible_units", "required_units"):
            kwargs["queryset"] = _sibling_units(getattr(request, "_unit_inline_activity", None))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class OpeningPeriodInline(admin.TabularInline):
    model = OpeningPeriod
    extra = 0


class BookingWindowInline(admin.TabularInline):
    model = BookingWindow
    extra = 0


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    fk_name = "activity"
    fields = ("date", "reason")
    extra = 0


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ("name", "activity_type", "season_start", "season_end", "booking_rule", "auto_validate",
                    "is_active")
    list_filter = ("activity_type__structure", "booking_rule", "auto_validate", "is_active")
    search_fields = ("name", "public_name")
    inlines = [GroupInline, UnitInline, OpeningPeriodInline, BookingWindowInline, ClosureDayInline]
    actions = ["copy_to_next_season"]
    readonly_fields = ("previous_season",)
    fieldsets = (
        (None, {"fields": ("activity_type", "name", "public_name", "description", ("season_start", "season_end"), "is_active",
                           "color")}),
        ("Inscriptions", {"fields": (("enrolment_opens", "enrolment_closes"), "auto_validate", "prebook_regular",
                                     "requires_complete_file")}),
        ("Réservations", {"fields": ("booking_rule", "deadline_day", ("notice_days", "notice_time"),
                                     "bookings_need_approval", "walk_in_billed"),
                          "description": "Heures de Paris. Règle « période » : renseigner les périodes de "
                                         "réservation plus bas."}),
        ("Saisons", {"fields": ("previous_season",), "classes": ("collapse",)}),
    )

    @admin.action(description="Dupliquer pour la saison suivante (aperçu avant de confirmer)")
    def copy_to_next_season(self, request, queryset):
        ids = "&".join(f"activite={pk}" for pk in queryset.values_list("pk", flat=True)[:300])
        return HttpResponseRedirect(f"{reverse('enrolment_staff:season_copy')}?{ids}")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "activity", "code", "start_time", "end_time", "capacity", "is_regular", "billable")
    list_filter = ("activity__activity_type__structure", "activity")
    search_fields = ("name", "code", "activity__name")
    filter_horizontal = ("incompatible_units", "required_units")
    autocomplete_fields = ("activity",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._unit_admin_obj = obj  # the unit being edited: its activity's units only in the pickers
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name in ("incompatible_units", "required_units"):
            unit = getattr(request, "_unit_admin_obj", None)
            activity = unit.activity if unit is not None else Activity.objects.filter(
                pk=request.GET.get("activity") if str(request.GET.get("activity", "")).isdigit() else None).first()
            kwargs["queryset"] = _sibling_units(activity, unit)
            kwargs["help_text"] = ("Les unités de la même activité. Pour une nouvelle unité, enregistrez-la d'abord, "
                                   "ou ajoutez-la depuis la fiche de l'activité.") if activity is None else None
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SchoolYearForm(forms.Form):
    school_year = forms.TypedChoiceField(label="Année scolaire", coerce=int)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_year"].choices = [(y, rules.school_year_label(y)) for y in years]


@admin.register(SchoolHoliday)
class SchoolHolidayAdmin(admin.ModelAdmin):
    """The list has a button « Importer une année scolaire »: nothing to tick first."""

    list_display = ("name", "start_date", "end_date")
    date_hierarchy = "start_date"

    def get_urls(self):
        return [path("importer/", self.admin_site.admin_view(self.import_view), name="enrolment_schoolholiday_import"),
                *super().get_urls()]

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        today = timezone.localdate(timezone.now(), rules.PARIS)
        years = [y for y in known_school_years() if y >= today.year - 1]
        initial = rules.school_year_of(today)
        form = SchoolYearForm(request.POST or None, years=years,
                              initial={"school_year": initial if initial in years else (years or [None])[0]})
        if request.method == "POST" and form.is_valid():
            year = form.cleaned_data["school_year"]
            try:
                created, updated = school_holidays_import(school_year=year, by=request.user)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Vacances scolaires {rules.school_year_label(year)} : {created} période(s) "
                                           f"ajoutée(s), {updated} corrigée(s).", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:enrolment_schoolholiday_changelist"))
        zone = Organisation.current().school_zone
        return TemplateResponse(request, "admin/enrolment/form_page.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
            "title": "Importer les vacances scolaires d'une année", "submit": "Importer",
            "intro": f"Les vacances de la zone {zone} (réglage de l'organisation) de l'année choisie, de la Toussaint "
                     f"à l'été, d'après le calendrier officiel. Les périodes déjà présentes ne sont pas recopiées ; "
                     f"une période saisie qui chevauche une période officielle prend ses dates.",
        })


@admin.register(ClosureDay)
class ClosureDayAdmin(admin.ModelAdmin):
    list_display = ("date", "structure", "activity", "reason")
    list_filter = ("structure", "activity")
    date_hierarchy = "date"


@admin.register(CapacityOverride)
class CapacityOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "unit", "group", "capacity")
    list_filter = ("unit__activity",)
    date_hierarchy = "date"
    autocomplete_fields = ("unit",)


class RefusalForm(forms.Form):
    reason = forms.CharField(label="Motif du refus (envoyé à la famille)", widget=forms.Textarea(attrs={"rows": 3}))


class CancelForm(forms.Form):
    reason = forms.CharField(label="Motif de l'annulation (envoyé à la famille)",
                             widget=forms.Textarea(attrs={"rows": 3}))


def _pending_first(qs, field, value):
    return qs.annotate(_pending=Case(When(**{field: value}, then=Value(0)), default=Value(1),
                                     output_field=IntegerField())).order_by("_pending", *qs.model._meta.ordering)


def _accept(model_admin, request, queryset, decide, done_label):
    """Apply ``decide`` to each selected row; a refused one is reported, the others go on."""
    done = 0
    for obj in queryset:
        try:
            decide(obj)
            done += 1
        except DomainError as exc:
            model_admin.message_user(request, f"{obj} : {exc.message}", messages.WARNING)
    model_admin.message_user(request, f"{done} {done_label}.")


def _with_reason(modeladmin, request, queryset, apply, *, form_class, template, title, done_label):
    """Ask the reason once (an intermediate page), then ``apply(obj, reason)`` to every selected row through
    the service; a refused one is reported, the others go on."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            _accept(modeladmin, request, queryset, lambda obj: apply(obj, form.cleaned_data["reason"]), done_label)
            return None
    else:
        form = form_class()
    return render(request, template, {
        "form": form, "objects": queryset, "action": request.POST.get("action"), "title": title,
        "opts": modeladmin.model._meta,
    })


def _refuse(modeladmin, request, queryset, decide, label):
    """Ask the reason once, then refuse every selected item through the service."""
    return _with_reason(modeladmin, request, queryset, lambda obj, reason: decide(obj, False, reason),
                        form_class=RefusalForm, template="enrolment/staff/refuse.html", title=f"Refuser : {label}",
                        done_label=f"{label} refusée(s)")


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ("child", "activity", "group", "status", "requested_at", "decided_at")
    list_filter = ("status", "activity__activity_type__structure", "activity")
    search_fields = ("child__first_name", "child__last_name", "child__family__name", "child__family__number")
    autocomplete_fields = ()
    raw_id_fields = ("child",)
    readonly_fields = ("requested_at", "requested_by", "decided_at", "decided_by")
    actions = ["accept", "refuse"]

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("child", "activity", "group")
        return _pending_first(qs, "status", "pending")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.requested_at = timezone.now()
            obj.requested_by = request.user
        before = form.initial.get("child") if change else None
        super().save_model(request, obj, form, change)
        # The family counter row of pending requests follows a status or child set here (the admin's save is
        # one transaction): the child's family, and the former child's when it changed.
        families = Child.objects.filter(pk__in={obj.child_id, before} - {None}).values_list("family_id", flat=True)
        counters.recount(["pending_enrolments"], families)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        counters.recount(["pending_enrolments"], [obj.child.family_id])

    def delete_queryset(self, request, queryset):
        families = set(queryset.values_list("child__family_id", flat=True))
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            counters.recount(["pending_enrolments"], families)

    @admin.action(description="Valider les inscriptions sélectionnées (e-mail à la famille)")
    def accept(self, request, queryset):
        _accept(self, request, queryset, lambda e: services.enrolment_decide(
            enrolment=e, accept=True, by=request.user), "inscription(s) validée(s)")

    @admin.action(description="Refuser les inscriptions sélectionnées (motif, e-mail à la famille)")
    def refuse(self, request, queryset):
        return _refuse(self, request, queryset, lambda e, ok, reason: services.enrolment_decide(
            enrolment=e, accept=ok, by=request.user, reason=reason), "inscription(s)")


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ("date", "child", "unit", "state", "excuse", "arrived_at", "left_at", "walk_in", "updated_at")
    list_filter = ("state", "excuse", "walk_in", "unit__activity__activity_type__structure", "unit__activity")
    search_fields = ("child__first_name", "child__last_name", "child__family__name")
    date_hierarchy = "date"
    raw_id_fields = ("child", "enrolment")
    readonly_fields = ("child", "unit", "date", "enrolment", "state", "created_at", "updated_at", "booked_by",
                       "decided_by", "decided_at", "refusal_reason", "absence_declared_at", "absence_reason",
                       "certificate_link", "excuse", "excuse_decided_at", "excuse_refusal_reason", "arrived_at",
                       "left_at", "walk_in")
    exclude = ("medical_certificate",)
    actions = ["accept", "refuse", "cancel", "excuse_absence", "refuse_excuse"]

    @admin.display(description="certificat médical")
    def certificate_link(self, obj):
        if not obj.medical_certificate:
            return "—"
        url = reverse("enrolment_staff:certificate_file", args=[obj.pk])
        return format_html('<a href="{}">Ouvrir le certificat</a>', url)

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("child", "unit__activity")
        return qs.annotate(_pending=Case(When(state="requested", then=Value(0)), When(excuse="requested",
                                                                                       then=Value(0)),
                                         default=Value(1), output_field=IntegerField())).order_by("_pending", "date")

    def has_add_permission(self, request):
        return False  # bookings are made through the planning (or the services)

    def has_delete_permission(self, request, obj=None):
        return False  # a deleted booking would keep its place: « Annuler la réservation » gives it back


    @admin.action(description="Accepter les demandes de réservation (e-mail à la famille)")
    def accept(self, request, queryset):
        _accept(self, request, queryset, lambda b: services.booking_decide(
            booking=b, accept=True, by=request.user), "demande(s) acceptée(s)")

    @admin.action(description="Refuser les demandes de réservation (motif, e-mail à la famille)")
    def refuse(self, request, queryset):
        return _refuse(self, request, queryset, lambda b, ok, reason: services.booking_decide(
            booking=b, accept=ok, by=request.user, reason=reason), "demande(s)")

    @admin.action(description="Annuler la réservation (place libérée et proposée à la liste d'attente, motif "
                              "envoyé à la famille)")
    def cancel(self, request, queryset):
        return _with_reason(
            self, request, queryset,
            lambda booking, reason: services.booking_cancel_by_staff(booking=booking, by=request.user, reason=reason),
            form_class=CancelForm, template="enrolment/staff/booking_cancel.html", title="Annuler des réservations",
            done_label="réservation(s) annulée(s), famille(s) prévenue(s) par e-mail")

    @admin.action(description="Excuser les absences sélectionnées (certificat accepté)")
    def excuse_absence(self, request, queryset):
        _accept(self, request, queryset, lambda b: services.booking_excuse(booking=b, accept=True, by=request.user),
                "absence(s) excusée(s)")

    @admin.action(description="Ne pas excuser les absences sélectionnées (restent facturées ; motif envoyé à la "
                              "famille)")
    def refuse_excuse(self, request, queryset):
        return _with_reason(
            self, request, queryset,
            lambda b, reason: services.booking_excuse(booking=b, accept=False, by=request.user, reason=reason),
            form_class=RefusalForm, template="enrolment/staff/refuse.html", title="Refuser des justificatifs d'absence",
            done_label="justificatif(s) refusé(s), famille(s) prévenue(s) par e-mail")


@admin.register(Occupancy)
class OccupancyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read only: counters are written by the booking services alone (enrolment/services/occupancy.py); a
    difference with the bookings is reported by the nightly audit, never fixed by hand."""

    list_display = ("date", "unit", "group", "booked", "capacity")
    list_filter = ("unit__activity",)
    date_hierarchy = "date"


@admin.register(WaitingListEntry)
class WaitingListEntryAdmin(admin.ModelAdmin):
    list_display = ("date", "unit", "child", "status", "auto_book", "created_at", "offer_expires_at")
    list_filter = ("status", "unit__activity")
    date_hierarchy = "date"
    raw_id_fields = ("child", "enrolment")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ("family", "created_at")
    readonly_fields = ("family", "created_at")
    exclude = ("token",)


class MoveUpChangeInline(admin.TabularInline):
    model = MoveUpChange
    fields = ("child", "old_level", "new_level", "school_change", "note")
    readonly_fields = fields
    can_delete = False
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("child")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(MoveUp)
class MoveUpAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The record of each school year's « Passage de classe », made from its staff page (never by hand)."""

    list_display = ("__str__", "applied_at", "applied_by", "children_moved", "enrolments_moved", "staff_page")
    inlines = [MoveUpChangeInline]

    @admin.display(description="détail")
    def staff_page(self, obj):
        return format_html('<a href="{}?annee={}">Enfants à vérifier</a>', reverse("enrolment_staff:move_up"),
                           obj.school_year)
