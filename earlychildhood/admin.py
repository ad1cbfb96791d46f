"""The staff side in the admin: crèches and sections, the CNAF tables (dated, editable), the published
criteria, commission sessions and their places, requests, contracts, deductions and monthly hours."""
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from portal.errors import DomainError

from .models import (
    AgeSection, Attendance, ChildcareContract, CommissionSession, Criterion, Decision, Deduction, EffortRate,
    MonthlyStatement, Nursery, NurseryClosure, PreEnrolment, PreEnrolmentEvent, ResourceBound, SessionPlaces,
)
from .services import contracts


class AgeSectionInline(admin.TabularInline):
    model = AgeSection
    extra = 0


class NurseryClosureInline(admin.TabularInline):
    model = NurseryClosure
    extra = 0


@admin.register(Nursery)
class NurseryAdmin(admin.ModelAdmin):
    list_display = ("__str__", "regie", "places", "opens_at", "closes_at", "is_active")
    list_select_related = ("structure", "regie")
    inlines = [AgeSectionInline, NurseryClosureInline]


@admin.register(EffortRate)
class EffortRateAdmin(admin.ModelAdmin):
    list_display = ("valid_from", "children_min", "children_max", "rate_percent", "source")
    list_filter = ("valid_from",)


@admin.register(ResourceBound)
class ResourceBoundAdmin(admin.ModelAdmin):
    list_display = ("kind", "valid_from", "amount", "source")
    list_filter = ("kind",)


@admin.register(Criterion)
class CriterionAdmin(admin.ModelAdmin):
    list_display = ("label", "weight", "proof_type", "is_health", "order", "is_active")
    list_editable = ("weight", "order", "is_active")


class SessionPlacesInline(admin.TabularInline):
    model = SessionPlaces
    extra = 1
    autocomplete_fields = ()


@admin.register(CommissionSession)
class CommissionSessionAdmin(admin.ModelAdmin):
    list_display = ("name", "date", "status", "decide_link")
    readonly_fields = ("status", "held_at", "held_by")
    inlines = [SessionPlacesInline]

    @admin.display(description="Décisions")
    def decide_link(self, obj):
        url = reverse("earlychildhood_staff:session", args=[obj.pk])
        return format_html('<a href="{}">Ouvrir la commission</a>', url)


class EventInline(admin.TabularInline):
    model = PreEnrolmentEvent
    extra = 0
    readonly_fields = ("at", "label", "by")
    can_delete = False


@admin.register(PreEnrolment)
class PreEnrolmentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "status", "wished_start", "nursery_1", "created_at", "confirmed_at")
    list_filter = ("status", "nursery_1")
    list_select_related = ("family", "child", "nursery_1__structure")
    search_fields = ("family__name", "family__number", "child__first_name", "expected_first_name")
    readonly_fields = ("family", "child", "status", "created_at", "confirmed_at", "confirmation_asked_at", "created_by")
    inlines = [EventInline]


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("pre_enrolment", "session", "kind", "score", "offer_expires_on", "answer")
    list_filter = ("session", "kind", "answer")
    list_select_related = ("pre_enrolment__family", "pre_enrolment__child", "session")
    readonly_fields = [f.name for f in Decision._meta.fields]

    def has_add_permission(self, request):
        return False


class DeductionInline(admin.TabularInline):
    model = Deduction
    extra = 0
    exclude = ("recorded_by",)


@admin.register(ChildcareContract)
class ChildcareContractAdmin(admin.ModelAdmin):
    list_display = ("child_name", "nursery", "section", "start_date", "end_date", "hourly_rate", "monthly_amount", "status")
    list_filter = ("nursery", "status")
    list_select_related = ("nursery__structure", "section")
    search_fields = ("child_name", "family__name", "family__number")
    readonly_fields = ("family", "child", "decision", "floor", "ceiling", "rate_percent", "hourly_rate",
                       "weekly_hours", "monthly_hours", "monthly_amount")
    inlines = [DeductionInline]
    actions = ["recompute"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and {"monthly_resources", "dependent_children", "disabled_children", "schedule", "weeks_per_year",
                       "months"} & set(form.changed_data):
            self._recompute(request, obj)

    def save_formset(self, request, form, formset, change):
        for deduction in formset.save(commit=False):
            deduction.recorded_by = request.user
            deduction.save()
        for deleted in formset.deleted_objects:
            deleted.delete()

    def _recompute(self, request, obj):
        try:
            contracts.contract_recompute(contract=obj, resources=obj.monthly_resources,
                                         dependent_children=obj.dependent_children,
                                         disabled_children=obj.disabled_children, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)

    @admin.action(description="Recalculer le tarif (barème en vigueur au début du contrat)")
    def recompute(self, request, queryset):
        for obj in queryset:
            self._recompute(request, obj)
        messages.success(request, "Tarifs recalculés.")


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("contract", "date", "arrival", "departure")
    list_filter = ("contract__nursery", "date")
    list_select_related = ("contract__nursery__structure",)


@admin.register(MonthlyStatement)
class MonthlyStatementAdmin(admin.ModelAdmin):
    list_display = ("contract", "month", "contract_hours", "billed_hours", "attended_hours", "total", "invoice")
    list_filter = ("contract__nursery", "month")
    list_select_related = ("contract", "invoice")
    readonly_fields = [f.name for f in MonthlyStatement._meta.fields]

    def has_add_permission(self, request):
        return False
