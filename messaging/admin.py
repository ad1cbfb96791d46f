from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from portal.admin import ReadOnlyAdminMixin

from .models import Attachment, MassMessage, Message, Service, SmsMessage, Thread


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "is_active", "email")
    list_editable = ("order", "is_active")
    search_fields = ("name",)


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    can_delete = False
    fields = ("created_at", "author_name", "from_staff", "body", "read_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    """Read-only overview; staff answer on the messaging staff page (link on each row)."""

    list_display = ("subject", "family", "service", "theme", "status", "assigned_to", "last_message_at", "open_link")
    list_filter = ("status", "service", "theme", ("assigned_to", admin.RelatedOnlyFieldListFilter))
    search_fields = ("subject", "family__name", "family__number")
    list_select_related = ("family", "service", "assigned_to")
    readonly_fields = ("family", "service", "theme", "subject", "status", "assigned_to", "started_by_staff",
                       "created_at", "last_message_at", "family_deleted_at", "staff_deleted_at")
    exclude = ("last_family_message_at", "last_staff_message_at")
    inlines = [MessageInline]
    date_hierarchy = "last_message_at"

    @admin.display(description="Répondre")
    def open_link(self, obj):
        return format_html('<a href="{}">Ouvrir</a>', reverse("messaging_staff:thread", args=[obj.pk]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": "Conversations (répondre depuis « Messagerie du service »)"}
        return super().changelist_view(request, extra_context)


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ("original_name", "content_type", "size", "message", "download")
    list_select_related = ("message",)
    readonly_fields = ("message", "original_name", "content_type", "size", "download")
    exclude = ("file",)

    @admin.display(description="Télécharger")
    def download(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("messaging_staff:attachment", args=[obj.pk]), obj.original_name)

    def has_add_permission(self, request):
        return False


@admin.register(MassMessage)
class MassMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: staff write mass messages on their own page (Messagerie → Messages groupés)."""

    list_display = ("created_at", "subject", "target_label", "service", "author", "families_count", "emails_count",
                    "sms_count", "status")
    list_filter = ("status", "target", "service")
    search_fields = ("subject", "target_label")
    list_select_related = ("service", "author")
    date_hierarchy = "created_at"
    fields = ("created_at", "author", "service", "subject", "body", "sms_text", "target_label", "send_email",
              "send_sms", "status", "delivered_at", "families_count", "emails_count", "sms_count")
    readonly_fields = fields


@admin.register(SmsMessage)
class SmsMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The SMS outbox (with the demo provider: what would have been sent)."""

    list_display = ("created_at", "to", "family", "segments", "encoding", "provider", "status", "last_error", "sent_at")
    list_filter = ("status", "provider")
    search_fields = ("to", "family__name", "family__number")
    list_select_related = ("family",)
    date_hierarchy = "created_at"
    fields = ("created_at", "mass_message", "family", "to", "body", "encoding", "segments", "provider", "provider_id",
              "status", "attempts", "last_error", "sent_at")
    readonly_fields = fields
