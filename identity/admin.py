"""Staff side: the organisation's settings, FranceConnect links to confirm, and the requests of new families
(accept, refuse with a reason, or merge into an existing family), through the same services as the parent pages."""
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from families.models import Family
from portal.errors import IdentityError

from . import selectors, services
from .models import IdentitySettings, PendingLink, RegistrationMessage, RegistrationRequest


@admin.register(IdentitySettings)
class IdentitySettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "self_registration", "link_policy")

    def has_add_permission(self, request):
        return not IdentitySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PendingLink)
class PendingLinkAdmin(admin.ModelAdmin):
    list_display = ("user", "given_name", "family_name", "birthdate", "differences", "status", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in PendingLink._meta.fields]
    actions = ["approve", "refuse"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Confirmer la liaison FranceConnect")
    def approve(self, request, queryset):
        self._decide(request, queryset, services.pending_link_approve, "confirmée(s)")

    @admin.action(description="Refuser la liaison FranceConnect")
    def refuse(self, request, queryset):
        self._decide(request, queryset, services.pending_link_refuse, "refusée(s)")

    def _decide(self, request, queryset, service, verb):
        done = 0
        for link in queryset:
            try:
                service(link=link, by=request.user)
                done += 1
            except IdentityError as e:
                self.message_user(request, f"{link} : {e.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} liaison(s) {verb}.", messages.SUCCESS)


class RegistrationMessageInline(admin.TabularInline):
    model = RegistrationMessage
    extra = 1
    fields = ("created_at", "from_staff", "body")
    readonly_fields = ("created_at", "from_staff")
    verbose_name_plural = "Échanges avec la famille (écrivez une réponse dans la ligne vide)"

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RegistrationRequestForm(forms.ModelForm):
    merge_family_number = forms.CharField(
        label="Rattacher à la famille n°", required=False,
        help_text="Pour « Rattacher à une famille existante » : le numéro d'une famille proposée ci-dessus ou d'une autre.",
    )

    class Meta:
        model = RegistrationRequest
        fields = ("refusal_reason",)


@admin.register(RegistrationRequest)
class RegistrationRequestAdmin(admin.ModelAdmin):
    form = RegistrationRequestForm
    list_display = ("__str__", "user", "status", "submitted_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("user__email",)
    ordering = ("-submitted_at",)
    readonly_fields = ("user", "status", "submitted_at", "family_file", "franceconnect", "duplicates", "family",
                       "decided_by", "decided_at")
    fields = ("user", "status", "submitted_at", "family_file", "franceconnect", "duplicates", "merge_family_number",
              "refusal_reason", "family", "decided_by", "decided_at")
    inlines = [RegistrationMessageInline]
    change_form_template = "admin/identity/registrationrequest/change_form.html"

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "family", "decided_by")

    @admin.display(description="dossier saisi par la famille")
    def family_file(self, obj):
        data = obj.data
        guardians = format_html_join("", "<li>{} {} {}, né(e) le {}, {} {}</li>", (
            (g.get("civility", ""), g.get("first_name", ""), g.get("last_name", ""), g.get("birth_date", ""),
             g.get("mobile_phone", ""), g.get("email", "")) for g in data.get("guardians") or []))
        children = format_html_join("", "<li>{} {}, né(e) le {} ({})</li>", (
            (c.get("first_name", ""), c.get("last_name", ""), c.get("birth_date", ""), c.get("sex", ""))
            for c in data.get("children") or []))
        return format_html(
            "<p><strong>Responsables</strong></p><ul>{}</ul><p><strong>Enfants</strong></p><ul>{}</ul>"
            "<p><strong>Adresse</strong> : {} {} {} {}<br><strong>Régime</strong> : {} — n° allocataire {}</p>",
            guardians, children, data.get("address_line1", ""), data.get("address_line2", ""),
            data.get("postcode", ""), data.get("city", ""), data.get("benefit_regime", ""),
            data.get("benefit_number", "") or "—",
        )

    @admin.display(description="identité FranceConnect")
    def franceconnect(self, obj):
        if not obj.identity:
            return "— (compte créé avec une adresse e-mail)"
        i = obj.identity
        return f"{i.get('given_name', '')} {i.get('family_name', '')}, né(e) le {i.get('birthdate', '')}"

    @admin.display(description="familles déjà connues qui pourraient être la même")
    def duplicates(self, obj):
        families = selectors.registration_duplicates(obj)
        if not families:
            return "Aucune famille ne porte ce nom, cette adresse e-mail ou ces enfants."
        return format_html("<ul>{}</ul>", format_html_join("", '<li><a href="{}">{}</a> — n° {}</li>', (
            (reverse("admin:families_family_change", args=[f.pk]), f.name, f.number) for f in families)))

    def response_change(self, request, obj):
        action = next((name for name in ("_accept", "_refuse", "_merge") if name in request.POST), None)
        if action is None:
            return super().response_change(request, obj)
        try:
            if action == "_accept":
                family = services.registration_accept(request=obj, by=request.user)
                self.message_user(request, f"Demande acceptée : famille {family} créée.", messages.SUCCESS)
            elif action == "_refuse":
                services.registration_refuse(request=obj, by=request.user, reason=request.POST.get("refusal_reason", ""))
                self.message_user(request, "Demande refusée ; la famille est prévenue par e-mail.", messages.SUCCESS)
            else:
                number = (request.POST.get("merge_family_number") or "").strip()
                family = Family.objects.filter(number=number).first()
                if family is None:
                    raise IdentityError(f"Aucune famille n° « {number} ».")
                services.registration_merge(request=obj, family=family, by=request.user)
                self.message_user(request, f"Compte rattaché à la famille {family}.", messages.SUCCESS)
        except IdentityError as e:
            self.message_user(request, e.message, messages.ERROR)
        return HttpResponseRedirect(request.path)

    def save_formset(self, request, form, formset, change):
        for message in formset.save(commit=False):
            if message.pk is None and message.body.strip():
                services.registration_message(request=form.instance, author=request.user, body=message.body,
                                              from_staff=True)


# allauth's own admin pages (applications, tokens, accounts) are in English and not needed: FranceConnect's
# client is configured by environment (README « Configurer FranceConnect ») and tokens are never shown.
# The accounts linked to FranceConnect stay readable, in French.
for _model in (SocialApp, SocialToken, SocialAccount):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(SocialAccount)
class FranceConnectAccountAdmin(admin.ModelAdmin):
    list_display = ("account", "linked_on", "last_login_on")
    search_fields = ("user__email", "user__last_name")
    fields = ("account", "linked_on", "last_login_on")
    readonly_fields = fields

    @admin.display(description="compte du portail", ordering="user__email")
    def account(self, obj):
        return obj.user.email

    @admin.display(description="lié le", ordering="date_joined")
    def linked_on(self, obj):
        return obj.date_joined

    @admin.display(description="dernière connexion FranceConnect", ordering="last_login")
    def last_login_on(self, obj):
        return obj.last_login

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
