"""Staff side of family documents, consents and the yearly renewal; the admin calls the same services as the
parent pages, and links the files to the staff download pages (``documents_staff``)."""
from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from portal.admin import ReadOnlyAdminMixin
from portal.errors import DomainError

from . import services
from .forms import RenewalDecisionForm
from .models import (
    ConsentAcceptance,
    ConsentVersion,
    DocumentType,
    FamilyDocument,
    RenewalCampaign,
    RenewalSubmission,
)


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "is_required", "validity_months", "is_active", "order")
    list_editable = ("is_required", "is_active", "order")


class FamilyDocumentForm(forms.ModelForm):
    class Meta:
        model = FamilyDocument
        fields = ["status", "refusal_reason", "valid_until"]

    def clean(self):
        data = super().clean()
        if data.get("status") == FamilyDocument.Status.REFUSED and not (data.get("refusal_reason") or "").strip():
            self.add_error("refusal_reason", "Indiquez le motif du refus : la famille le verra.")
        return data


@admin.register(FamilyDocument)
class FamilyDocumentAdmin(admin.ModelAdmin):
    """Staff mark each document received, accepted or refused (with a reason the family sees)."""

    form = FamilyDocumentForm
    list_display = ("document_type", "family", "uploaded_at", "status", "valid_until", "download")
    list_filter = ("status", "document_type")
    search_fields = ("family__name", "family__number", "original_name")
    list_select_related = ("document_type", "family")
    readonly_fields = ("family", "document_type", "download", "uploaded_at", "uploaded_by", "decided_by", "decided_at")
    fields = ("family", "document_type", "download", "uploaded_at", "uploaded_by", "status", "refusal_reason",
              "valid_until", "decided_by", "decided_at")

    @admin.display(description="Fichier")
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("documents_staff:file", args=[obj.pk]), obj.original_name)

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        try:
            services.document_decide(
                document=obj, staff_user=request.user, status=form.cleaned_data["status"],
                reason=form.cleaned_data["refusal_reason"], valid_until=form.cleaned_data["valid_until"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)


class ConsentVersionForm(forms.ModelForm):
    class Meta:
        model = ConsentVersion
        fields = ["kind", "title", "text"]


@admin.register(ConsentVersion)
class ConsentVersionAdmin(admin.ModelAdmin):
    """Adding a version publishes it: every family is asked again at its next visit."""

    form = ConsentVersionForm
    list_display = ("kind", "version", "title", "published_at", "published_by", "answers")
    list_filter = ("kind",)

    def get_readonly_fields(self, request, obj=None):
        return ("kind", "title", "text", "version", "published_at", "published_by") if obj else ()

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) if obj else ("kind", "title", "text")

    @admin.display(description="Réponses")
    def answers(self, obj):
        url = reverse("admin:documents_consentacceptance_changelist") + f"?version__id__exact={obj.pk}"
        return format_html('<a href="{}">Voir qui a répondu</a>', url)

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = services.consent_publish(kind=obj.kind, title=obj.title, text=obj.text, staff_user=request.user)
        obj.pk = created.pk
        obj.version = created.version

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ConsentAcceptance)
class ConsentAcceptanceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who answered which version, and when."""

    list_display = ("family", "guardian", "version", "accepted", "answered_at")
    list_filter = ("version__kind", "version", "accepted")
    search_fields = ("family__name", "family__number", "guardian__last_name")
    list_select_related = ("family", "guardian", "version")
    date_hierarchy = "answered_at"


@admin.register(RenewalCampaign)
class RenewalCampaignAdmin(admin.ModelAdmin):
    list_display = ("school_year", "opens_on", "deadline", "is_open", "progress")

    @admin.display(description="Avancement")
    def progress(self, obj):
        url = reverse("admin:documents_renewalsubmission_changelist") + f"?campaign__id__exact={obj.pk}"
        return format_html('<a href="{}">Voir les actualisations</a>', url)


@admin.register(RenewalSubmission)
class RenewalSubmissionAdmin(admin.ModelAdmin):
    """Staff validate a submitted renewal or return it to the family with a comment."""

    form = RenewalDecisionForm
    list_display = ("family", "campaign", "status", "submitted_at", "declared_quotient", "reminders_sent")
    list_filter = ("campaign", "status")
    search_fields = ("family__name", "family__number")
    list_select_related = ("family", "campaign")
    readonly_fields = ("family", "campaign", "status", "confirmed_sections", "declared_quotient",
                       "quotient_benefit_number", "proof_link", "family_comment", "submitted_at", "submitted_by",
                       "decided_by", "decided_at", "last_reminder_at", "reminders_sent", "documents_link")
    fields = readonly_fields[:-1] + ("documents_link", "staff_comment", "decision", "apply_quotient")

    @admin.display(description="Attestation de quotient")
    def proof_link(self, obj):
        if not obj.quotient_proof:
            return "—"
        return format_html('<a href="{}">{}</a>', reverse("documents_staff:renewal_proof", args=[obj.pk]),
                           obj.quotient_proof_name or "attestation")

    @admin.display(description="Documents de la famille")
    def documents_link(self, obj):
        url = reverse("admin:documents_familydocument_changelist") + f"?q={obj.family.number}"
        return format_html('<a href="{}">Voir les documents déposés</a>', url)

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        decision = form.cleaned_data.get("decision")
        if not decision:
            type(obj).objects.filter(pk=obj.pk).update(staff_comment=form.cleaned_data["staff_comment"])
            return
        try:
            services.renewal_decide(
                submission=obj, staff_user=request.user, validate=decision == "validate",
                comment=form.cleaned_data["staff_comment"], apply_quotient=form.cleaned_data["apply_quotient"],
            )
        except DomainError as exc:
            messages.error(request, exc.message)
