"""Staff side of the family file, in French. Actions call the same services as the parent views."""
from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from portal.errors import FamilyError

from . import counters, services
from .admin_quotient import QuotientRecordInline
from .models import AuthorisedPerson, ChangeRequest, Child, ChildHealth, Family, Guardian, Invitation, Vaccination


class LowercaseEmailForm(forms.ModelForm):
    """E-mail addresses are stored lower-cased: they are the parents' logins, so one per account."""

    def clean_email(self):
        email = (self.cleaned_data.get("email") or "").strip().lower()
        user = self.cleaned_data.get("user") or getattr(self.instance, "user", None)
        if email and user is not None:
            clash = get_user_model().objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exclude(pk=user.pk)
            if clash.exists():
                raise forms.ValidationError("Cette adresse est déjà l'identifiant d'un autre compte.")
        return email


def _value(obj, name):
    value = getattr(obj, name, None)
    if hasattr(value, "pk"):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "name") and not isinstance(value, str):  # files
        return value.name or ""
    return value if isinstance(value, (bool, int, type(None))) else str(value)


class AuditedAdmin(admin.ModelAdmin):
    """Writes an AuditLog entry (old and new values of the changed fields) for every staff edit,
    in the main form and in the inlines, and keeps the guardians' logins in step with their e-mail."""

    def _family_of(self, obj):
        if isinstance(obj, Family):
            return obj
        if hasattr(obj, "family_id"):
            return obj.family
        return obj.child.family

    def _audit(self, request, obj, form, created):
        names = [n for n in form.changed_data if n not in ("DELETE", "id")]
        if not names:
            return
        old = {n: _value(form.initial_obj, n) for n in names} if not created else {}
        services.staff_edit_audit(
            obj=obj, family=self._family_of(obj), by=request.user, created=created,
            old_values=old, new_values={n: _value(obj, n) for n in names},
        )

    def _sync(self, request, obj):
        if isinstance(obj, Guardian):
            try:
                services.guardian_login_sync(guardian=obj, by=request.user)
            except FamilyError as exc:
                self.message_user(request, exc.message, messages.ERROR)

    def _recount(self, family_ids):
        """A child deleted or moved to another family takes its requests and enrolments along: the families'
        counter rows are counted again (``families.counters``)."""
        counters.recount(counters.fields(), family_ids)

    def save_model(self, request, obj, form, change):
        form.initial_obj = type(obj).objects.get(pk=obj.pk) if change else None
        super().save_model(request, obj, form, change)
        self._audit(request, obj, form, not change)
        self._sync(request, obj)
        if isinstance(obj, Child) and change and form.initial_obj.family_id != obj.family_id:
            self._recount([form.initial_obj.family_id, obj.family_id])

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            instance = inline_form.instance
            inline_form.initial_obj = type(instance).objects.filter(pk=instance.pk).first() if instance.pk else None
        super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            self._audit(request, inline_form.instance, inline_form, inline_form.initial_obj is None)
            self._sync(request, inline_form.instance)
        if formset.model is Child and formset.deleted_forms:
            self._recount([form.instance.pk])

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        if isinstance(obj, Child):
            self._recount([obj.family_id])

    def delete_queryset(self, request, queryset):
        if queryset.model is not Child:
            return super().delete_queryset(request, queryset)
        families = set(queryset.values_list("family_id", flat=True))
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            self._recount(families)


def _send_invitations(modeladmin, request, guardians):
    sent, errors = 0, []
    for guardian in guardians:
        if not guardian.email:
            errors.append(f"{guardian} : pas d'adresse e-mail.")
            continue
        try:
            services.invitation_send(guardian=guardian, by=request.user)
        except FamilyError as exc:
            errors.append(f"{guardian} : {exc.message}")
        else:
            sent += 1
    if sent:
        modeladmin.message_user(request, f"{sent} invitation(s) envoyée(s).", messages.SUCCESS)
    for error in errors:
        modeladmin.message_user(request, error, messages.WARNING)


class GuardianInline(admin.StackedInline):
    model = Guardian
    form = LowercaseEmailForm
    extra = 0
    max_num = 2
    raw_id_fields = ("user",)
    fields = (
        ("rank", "civility", "relationship"), ("last_name", "first_name"), "email",
        ("mobile_phone", "work_phone"), ("profession", "employer"), "employer_address",
        "same_address", ("address_line1", "address_line2"), ("postcode", "city"), "home_phone", "user",
    )


class ChildInline(admin.TabularInline):
    model = Child
    extra = 0
    show_change_link = True
    fields = ("first_name", "last_name", "birth_date", "sex", "school", "school_level", "is_active")


@admin.register(Family)
class FamilyAdmin(AuditedAdmin):
    list_display = ("number", "name", "city", "quotient", "quotient_valid_until", "guardian_logins", "is_demo", "desk_link")
    list_display_links = ("number", "name")
    list_filter = ("is_demo", "benefit_regime", "situation", "city")
    search_fields = (
        "name", "number", "guardians__email", "guardians__last_name", "guardians__first_name",
        "children__first_name", "children__last_name",
    )
    inlines = [GuardianInline, ChildInline, QuotientRecordInline]
    readonly_fields = ("number", "desk_link", "is_demo", "created_at", "updated_at")
    # The quotient of an existing family is derived from its history: staff add a value in « Quotients
    # familiaux (historique) » (or validate a fetched one), which closes the previous value and is audited.
    quotient_fields = ("quotient", "quotient_valid_from", "quotient_valid_until")

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (self.quotient_fields if obj is not None else ())
    fieldsets = (
        (None, {"fields": ("number", "desk_link", "name", "situation")}),
        ("Adresse et téléphone", {"fields": ("address_line1", "address_line2", ("postcode", "city"), "home_phone")}),
        ("Allocations et quotient familial", {"fields": (
            ("benefit_regime", "benefit_number"), "quotient", ("quotient_valid_from", "quotient_valid_until"), "quotient_proof",
        )}),
        ("Autorisations de contact", {"fields": (("allow_email", "allow_sms"),)}),
        ("Suivi", {"fields": ("is_demo", "created_at", "updated_at"), "classes": ("collapse",)}),
    )
    actions = ["send_invitation"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("guardians")

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term.strip())
        return queryset.distinct(), False

    @admin.display(description="fiche famille")
    def desk_link(self, obj):
        """The staff family page: bookings, invoices and balance, payments, messages and documents together."""
        if obj is None or obj.pk is None:
            return "—"
        return format_html('<a href="{}">Voir la fiche famille (réservations, factures, solde, messages)</a>',
                           reverse("families_staff:family", args=[obj.pk]))

    @admin.display(description="comptes")
    def guardian_logins(self, obj):
        guardians = list(obj.guardians.all())
        return f"{sum(1 for g in guardians if g.user_id)} / {len(guardians)}"

    @admin.action(description="Envoyer / renvoyer l'invitation (responsables ayant un e-mail)")
    def send_invitation(self, request, queryset):
        guardians = Guardian.objects.filter(family__in=queryset).exclude(email="").select_related("family")
        _send_invitations(self, request, guardians)


@admin.register(Guardian)
class GuardianAdmin(AuditedAdmin):
    form = LowercaseEmailForm
    list_display = ("__str__", "family", "rank", "email", "has_login", "last_invitation")
    list_select_related = ("family",)
    search_fields = ("last_name", "first_name", "email", "family__name", "family__number")
    list_filter = ("rank", "relationship")
    raw_id_fields = ("family", "user")
    actions = ["send_invitation"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("invitations")

    @admin.display(boolean=True, description="compte")
    def has_login(self, obj):
        return obj.user_id is not None

    @admin.display(description="dernière invitation")
    def last_invitation(self, obj):
        invitations = list(obj.invitations.all())
        if not invitations:
            return "—"
        last = invitations[0]
        state = "utilisée" if last.used_at else ("valable" if last.is_usable() else "expirée")
        return f"{last.created_at:%d/%m/%Y} ({state})"

    @admin.action(description="Envoyer / renvoyer l'invitation")
    def send_invitation(self, request, queryset):
        _send_invitations(self, request, queryset.select_related("family"))


class ChildHealthInline(admin.StackedInline):
    model = ChildHealth
    can_delete = False
    fields = (
        ("diet", "pai"), "allergies", "food_allergens", "pai_details", ("doctor_name", "doctor_phone"),
        ("glasses", "hearing_aid"), "disability", "accommodations", "notes",
    )


class VaccinationInline(admin.TabularInline):
    model = Vaccination
    extra = 1


class AuthorisedPersonInline(admin.TabularInline):
    model = AuthorisedPerson
    extra = 1


@admin.register(Child)
class ChildAdmin(AuditedAdmin):
    list_display = ("__str__", "family", "birth_date", "school", "school_level", "is_active")
    list_select_related = ("family",)
    list_filter = ("school_level", "sex", "is_active", "school")
    search_fields = ("first_name", "last_name", "family__name", "family__number")
    raw_id_fields = ("family",)
    inlines = [ChildHealthInline, VaccinationInline, AuthorisedPersonInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("guardian", "created_at", "expires_at", "used_at", "created_by")
    list_select_related = ("guardian", "created_by")
    search_fields = ("guardian__last_name", "guardian__email", "guardian__family__number")
    fields = ("guardian", "created_at", "expires_at", "used_at", "created_by")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label="Motif du refus (transmis à la famille)", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
    )


@admin.register(ChangeRequest)
class ChangeRequestAdmin(admin.ModelAdmin):
    list_display = ("requested_at", "family", "kind", "target_label", "status_label", "decided_at", "decided_by")
    list_filter = ("status", "kind")
    list_select_related = ("family", "decided_by")
    search_fields = ("family__name", "family__number", "target_label")
    date_hierarchy = "requested_at"
    actions = ["accept_selected", "refuse_selected"]
    change_form_template = "admin/families/changerequest/change_form.html"
    fields = (
        "family", "kind", "target_label", "child", "changes_table", "status", "requested_by", "requested_at",
        "decided_by", "decided_at", "refusal_reason",
    )
    readonly_fields = fields

    def get_ordering(self, request):
        # Pending requests first, then the decided ones; newest first within each.
        pending_first = Case(
            When(status=ChangeRequest.Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        return (pending_first.asc(), "-requested_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="état", ordering="status")
    def status_label(self, obj):
        symbol = {"pending": "•", "accepted": "✔", "refused": "✘"}[obj.status]
        return f"{symbol} {obj.get_status_display()}"

    @admin.display(description="modifications")
    def changes_table(self, obj):
        rows = format_html_join(
            "", "<tr><th scope='row'>{}</th><td>{}</td><td><strong>{}</strong></td></tr>",
            ((c["label"], c.get("old_display") or "—", c.get("new_display", c["new"])) for c in obj.changes.values()),
        )
        return format_html(
            "<table><thead><tr><th scope='col'>Information</th><th scope='col'>Ancienne valeur</th>"
            "<th scope='col'>Nouvelle valeur</th></tr></thead><tbody>{}</tbody></table>", rows,
        )

    def get_urls(self):
        urls = super().get_urls()
        info = self.opts.app_label, self.opts.model_name
        return [
            path("<int:pk>/accepter/", self.admin_site.admin_view(self.accept_view), name="%s_%s_accept" % info),
            path("<int:pk>/refuser/", self.admin_site.admin_view(self.refuse_view), name="%s_%s_refuse" % info),
        ] + urls

    def _change_url(self, pk):
        return reverse("admin:families_changerequest_change", args=[pk])

    def accept_view(self, request, pk):
        cr = get_object_or_404(ChangeRequest, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, cr):
            return HttpResponseRedirect(self._change_url(pk))
        try:
            services.change_request_accept(request=cr, by=request.user)
        except FamilyError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Demande acceptée et appliquée : {cr}. La famille est prévenue par e-mail.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(pk))

    def refuse_view(self, request, pk):
        cr = get_object_or_404(ChangeRequest, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, cr):
            return HttpResponseRedirect(self._change_url(pk))
        try:
            services.change_request_refuse(request=cr, by=request.user, reason=request.POST.get("reason", ""))
        except FamilyError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        else:
            self.message_user(request, f"Demande refusée : {cr}. La famille est prévenue par e-mail.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(pk))

    @admin.action(description="Accepter les demandes sélectionnées")
    def accept_selected(self, request, queryset):
        done = 0
        for cr in queryset.order_by("requested_at"):
            try:
                services.change_request_accept(request=cr, by=request.user)
            except FamilyError as exc:
                self.message_user(request, exc.message, messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(request, f"{done} demande(s) acceptée(s) et appliquée(s).", messages.SUCCESS)

    @admin.action(description="Refuser les demandes sélectionnées (avec un motif)")
    def refuse_selected(self, request, queryset):
        form = RefusalForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for cr in queryset.order_by("requested_at"):
                try:
                    services.change_request_refuse(request=cr, by=request.user, reason=form.cleaned_data["reason"])
                except FamilyError as exc:
                    self.message_user(request, exc.message, messages.WARNING)
                else:
                    done += 1
            if done:
                self.message_user(request, f"{done} demande(s) refusée(s).", messages.SUCCESS)
            return None
        return render(request, "admin/families/changerequest/refuse_selected.html", {
            **self.admin_site.each_context(request),
            "title": "Refuser les demandes sélectionnées",
            "opts": self.opts,
            "queryset": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        })
