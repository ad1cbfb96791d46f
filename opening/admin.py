"""Staff side of the fair opening: each phase's rules (criteria order, communes, proofs, siblings, partial
weeks), the seed (fixed once the phase opens), and read-only requests, runs and outcomes. The dry run and
« Publier » are on the staff page /personnel/ouverture/ (linked from each phase)."""
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from portal.admin import ReadOnlyAdminMixin

from .models import AllocationRun, FamilyOutcome, PlaceRequest, RequestPhase


@admin.register(RequestPhase)
class RequestPhaseAdmin(admin.ModelAdmin):
    list_display = ("window", "published_at", "staff_page")
    fields = ("window", "seed", "criteria", "member_communes", "proof_types", "fewer_places_below",
              "siblings_all_or_none", "partial_weeks", "published_at", "published_by", "staff_page")
    filter_horizontal = ("proof_types",)
    autocomplete_fields = ()

    def get_readonly_fields(self, request, obj=None):
        fixed = ["published_at", "published_by", "staff_page"]
        if obj is not None:
            fixed.append("window")
            opens = obj.window.requests_open_at
            if obj.published_at or (opens and timezone.now() >= opens):
                fixed.append("seed")  # published before the phase opens: never changed afterwards
            if obj.published_at:
                fixed += ["criteria", "member_communes", "proof_types", "fewer_places_below", "siblings_all_or_none",
                          "partial_weeks"]
        return fixed

    @admin.display(description="simulation et publication")
    def staff_page(self, obj):
        if not obj.pk:
            return "—"
        return format_html('<a href="{}">Ouvrir la page d\'attribution</a>', reverse("opening_staff:phase", args=[obj.pk]))


@admin.register(PlaceRequest)
class PlaceRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("date", "child", "unit", "outcome", "requested_at")
    list_filter = ("outcome", "phase")
    list_select_related = ("child", "unit")
    search_fields = ("child__last_name", "child__first_name", "child__family__number")
    date_hierarchy = "date"


@admin.register(AllocationRun)
class AllocationRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("phase", "kind", "created_at", "created_by", "duration_ms", "digest")
    list_filter = ("kind",)
    exclude = ("figures",)


@admin.register(FamilyOutcome)
class FamilyOutcomeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("phase", "rank", "family", "granted", "waiting", "requested")
    list_filter = ("phase",)
    list_select_related = ("family", "phase__window")
    search_fields = ("family__number", "family__name")
