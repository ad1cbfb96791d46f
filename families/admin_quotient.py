"""Staff side of the quotient familial history: the values fetched from the CAF/MSA or declared with a
certificate that wait for a decision (validate / refuse, audited through the services), and the history
shown inline on each family."""
from django import forms
from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.formats import number_format
from django.utils.html import format_html

from portal.errors import FamilyError

from .models import QuotientRecord
from .services_quotient import quotient_record_create, quotient_record_refuse, quotient_record_validate

Status = QuotientRecord.Status
DISPLAY_FIELDS = (
    "family", "value_display", "source", "benefit_month", "allocataire", "benefit_number", "proof_link",
    "valid_from", "valid_to", "status", "created_at", "requested_by", "validated_by", "validated_at", "refusal_reason",
)


def _euros(value):
    return f"{number_format(value, 2, force_grouping=True)} €"


def _proof_link(obj):
    if not obj.proof:
        return "—"
    try:
        url = reverse("quotient_staff:proof", args=[obj.pk])
    except NoReverseMatch:
        return obj.proof_name or "attestation"
    return format_html('<a href="{}">{}</a>', url, obj.proof_name or "attestation")


class QuotientRecordInline(admin.TabularInline):
    model = QuotientRecord
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    verbose_name_plural = "historique du quotient familial"
    fields = ("value_display", "source", "benefit_month", "allocataire", "valid_from", "valid_to", "status", "validated_by",
              "proof_link")
    readonly_fields = fields
    ordering = ("-valid_from", "-pk")

    @admin.display(description="quotient")
    def value_display(self, obj):
        return _euros(obj.value)

    @admin.display(description="attestation")
    def proof_link(self, obj):
        return _proof_link(obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class QuotientAddForm(forms.ModelForm):
    source = forms.ChoiceField(label="origine", choices=[(QuotientRecord.Source.STAFF, QuotientRecord.Source.STAFF.label),
                                                         (QuotientRecord.Source.PROOF, QuotientRecord.Source.PROOF.label)])

    class Meta:
        model = QuotientRecord
        fields = ("family", "value", "source", "benefit_number", "valid_from", "valid_to")


class QuotientRefusalForm(forms.Form):
    reason = forms.CharField(label="Motif du refus (montré à la famille)", max_length=300,
                             widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(QuotientRecord)
class QuotientRecordAdmin(admin.ModelAdmin):
    list_display = ("created_at", "family", "value_display", "source", "benefit_month", "allocataire", "valid_from",
                    "valid_to", "status_label", "validated_by")
    list_filter = ("status", "source")
    list_select_related = ("family", "validated_by")
    search_fields = ("family__name", "family__number", "allocataire", "benefit_number")
    raw_id_fields = ("family",)
    date_hierarchy = "created_at"
    actions = ["validate_selected", "refuse_selected"]

    def get_ordering(self, request):
        pending_first = Case(When(status=Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())
        return (pending_first.asc(), "-created_at")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = QuotientAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return QuotientAddForm.Meta.fields if obj is None else DISPLAY_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else DISPLAY_FIELDS

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Staff enter a value: validated at once, through the service (history closed, audited)."""
        data = form.cleaned_data
        record = quotient_record_create(
            family=data["family"], value=data["value"], source=data["source"], valid_from=data["valid_from"],
            valid_to=data["valid_to"], benefit_number=data.get("benefit_number", ""), by=request.user, validate=True,
        )
        obj.pk = record.pk

    def save_related(self, request, form, formsets, change):
        pass

    @admin.display(description="quotient", ordering="value")
    def value_display(self, obj):
        return _euros(obj.value)

    @admin.display(description="attestation")
    def proof_link(self, obj):
        return _proof_link(obj)

    @admin.display(description="état", ordering="status")
    def status_label(self, obj):
        symbol = {"pending": "•", "validated": "✔", "refused": "✘", "replaced": "↷"}[obj.status]
        return f"{symbol} {obj.get_status_display()}"

    @admin.action(description="Valider les quotients sélectionnés (appliqués à partir de leur date)")
    def validate_selected(self, request, queryset):
        done = 0
        for record in queryset.filter(status=Status.PENDING).order_by("created_at"):
            try:
                quotient_record_validate(record=record, by=request.user)
            except FamilyError as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                done += 1
        self.message_user(request, f"{done} quotient(s) validé(s) et appliqué(s).",
                          messages.SUCCESS if done else messages.WARNING)

    @admin.action(description="Refuser les quotients sélectionnés (avec un motif)")
    def refuse_selected(self, request, queryset):
        form = QuotientRefusalForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for record in queryset.filter(status=Status.PENDING):
                try:
                    quotient_record_refuse(record=record, by=request.user, reason=form.cleaned_data["reason"])
                except FamilyError as exc:
                    self.message_user(request, exc.message, messages.WARNING)
                else:
                    done += 1
            self.message_user(request, f"{done} quotient(s) refusé(s).", messages.SUCCESS if done else messages.WARNING)
            return None
        return render(request, "admin/families/quotientrecord/refuse_selected.html", {
            **self.admin_site.each_context(request), "title": "Refuser les quotients sélectionnés", "opts": self.opts,
            "queryset": queryset, "form": form, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })
