"""Staff side of the portal's own tables: the organisation, the audit log, the outbox and the job log."""
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html

from .mail import SECRET_TEMPLATES, email_requeue
from .models import AuditLog, JobRun, Organisation, OutboundEmail

READ_ONLY_CONTEXT = {
    "show_save": False,
    "show_save_and_continue": False,
    "show_save_and_add_another": False,
    "show_delete": False,
}


class ReadOnlyAdminMixin:
    """A record staff read but never add, change or delete in the admin (journals, history, counters)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    """One organisation: the list opens its form directly; it can be neither added twice nor deleted."""

    fieldsets = (
        ("Identité", {"fields": ("name", "short_name", "address", "phone", "email", "school_zone")}),
        (
            "Modifications faites par les familles",
            {
                "fields": ("policy_family", "policy_guardian", "policy_child"),
                "description": "Pour chaque type de donnée : appliquer tout de suite, ou attendre la validation du service.",
            },
        ),
        ("Factures et e-mails", {"fields": ("invoice_visibility", "email_includes_message_body")}),
        (
            "Quotient familial (API Particulier)",
            {
                "fields": ("siret", "policy_quotient"),
                "description": "Le quotient que les familles récupèrent auprès de la CAF ou de la MSA : appliqué tout "
                               "de suite, ou après validation du service (Familles → Quotients familiaux).",
            },
        ),
        ("Site de la commune et accessibilité", {
            "fields": ("logout_redirect_url", "accessibility_email", "accessibility_plan_url"),
        }),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Organisation.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        organisation = Organisation.current()
        return redirect(reverse("admin:portal_organisation_change", args=[organisation.pk]))


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: who decided what, with old and new values."""

    list_display = ("at", "actor", "family", "action", "summary")
    list_filter = ("action", ("at", admin.DateFieldListFilter))
    search_fields = ("summary", "family__name", "family__number", "actor__email", "actor__last_name")
    date_hierarchy = "at"
    list_select_related = ("actor", "family")
    fields = ("at", "actor", "family", "action", "summary", "old_values", "new_values")
    readonly_fields = fields
    list_per_page = 50


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox. Bodies are read-only; failed e-mails can be sent again (action « Renvoyer »)."""

    # What waits (state, attempts, next attempt), what failed and why (the last error), at a glance.
    list_display = ("created_at", "to", "subject", "template", "status_label", "attempts", "next_attempt_at",
                    "error_summary", "sent_at")
    list_filter = ("status", "template", ("created_at", admin.DateFieldListFilter))
    search_fields = ("to",)
    search_help_text = "Rechercher par adresse du destinataire."
    date_hierarchy = "created_at"
    actions = ("requeue",)
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("to", "subject", "template", "related_label", "status_label", "attempts", "last_error")}),
        ("Dates", {"fields": ("created_at", "queued_at", "next_attempt_at", "sent_at", "body_purged_at")}),
        ("Contenu", {"fields": ("text_body", "html_body")}),
    )
    readonly_fields = (
        "to", "subject", "template", "related_label", "status_label", "attempts", "last_error", "created_at",
        "queued_at", "next_attempt_at", "sent_at", "body_purged_at", "text_body", "html_body",
    )

    @admin.display(description="état", ordering="status")
    def status_label(self, obj):
        return obj.get_status_display()

    @admin.display(description="dernière erreur")
    def error_summary(self, obj):
        if not obj.last_error or obj.status == OutboundEmail.Status.SENT:
            return "—"
        return obj.last_error if len(obj.last_error) <= 120 else obj.last_error[:119] + "…"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        match = request.resolver_match
        if match and match.url_name and match.url_name.endswith("changelist"):
            queryset = queryset.defer("body_text", "body_html")  # the list never shows the bodies
        return queryset

    def _hidden(self, obj):
        return obj.template in SECRET_TEMPLATES and obj.body_purged_at is None

    @admin.display(description="texte")
    def text_body(self, obj):
        if self._hidden(obj):
            return "Contenu masqué : ce message contient un lien personnel de connexion."
        return format_html('<pre class="pre-wrap">{}</pre>', obj.body_text)

    @admin.display(description="HTML (source)")
    def html_body(self, obj):
        if self._hidden(obj):
            return "Contenu masqué : ce message contient un lien personnel de connexion."
        if not obj.body_html:
            return "—"
        return format_html('<pre class="pre-wrap">{}</pre>', obj.body_html)

    @admin.action(description="Renvoyer les e-mails en échec sélectionnés", permissions=["change"])
    def requeue(self, request, queryset):
        selected = list(queryset.only("pk", "status"))
        rows = email_requeue(emails=selected, actor=request.user)
        if rows:
            self.message_user(request, f"{len(rows)} e-mail(s) remis en file d'envoi.", messages.SUCCESS)
        ignored = len(selected) - len(rows)
        if ignored:
            self.message_user(
                request, f"{ignored} e-mail(s) ignoré(s) : seuls les e-mails en échec peuvent être renvoyés.",
                messages.WARNING,
            )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return super().change_view(request, object_id, form_url, {**READ_ONLY_CONTEXT, **(extra_context or {})})


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only log of the background jobs: when each ran, for which date, and what it did."""

    list_display = ("started_at", "label", "status_label", "summary_first_line", "duration_label")
    list_filter = ("status", "label", ("started_at", admin.DateFieldListFilter))
    search_fields = ("label", "summary", "name")
    date_hierarchy = "started_at"
    list_per_page = 50
    fields = (
        "label", "name", "status_label", "now", "period_key", "started_at", "finished_at", "duration_label",
        "summary_block", "error",
    )
    readonly_fields = fields

    @admin.display(description="état", ordering="status")
    def status_label(self, obj):
        return obj.get_status_display()

    @admin.display(description="dernière erreur")
    def error_summary(self, obj):
        if not obj.last_error or obj.status == OutboundEmail.Status.SENT:
            return "—"
        return obj.last_error if len(obj.last_error) <= 120 else obj.last_error[:119] + "…"

    @admin.display(description="compte rendu")
    def summary_first_line(self, obj):
        lines = obj.summary.splitlines()
        return lines[0] + (" …" if len(lines) > 1 else "") if lines else "—"

    @admin.display(description="compte rendu")
    def summary_block(self, obj):
        return format_html('<pre class="pre-wrap">{}</pre>', obj.summary or "—")

    @admin.display(description="durée")
    def duration_label(self, obj):
        duration = obj.duration
        if duration is None:
            return "en cours" if obj.status == JobRun.Status.RUNNING else "—"
        seconds = duration.total_seconds()
        if seconds < 60:
            return f"{seconds:.1f} s".replace(".", ",")
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
