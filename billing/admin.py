"""The staff side of billing. Every write goes through the same services as the parent views."""
from django.contrib import admin, messages
from django.db.models import F, Max, Prefetch
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from families.models import Family
from portal.admin import ReadOnlyAdminMixin
from portal.admin_l10n import LOCALIZED_DECIMALS
from portal.errors import DomainError

from .forms import CreditNoteForm, DebitExportForm, IssuePeriodForm, ManualPaymentForm
from .models import (
    CreditNote, DirectDebitBatch, DirectDebitItem, DirectDebitMandate, FamilyPayer, Invoice, InvoiceLine, InvoiceReminder,
    NumberSequence, OnlineTransaction, OnlineTransactionInvoice, Payment, PaymentAllocation, PaymentNotification, Regie, Tariff, TariffBracket,
)
from .pricing import euros
from .services.direct_debit import debit_batch_record_payments, debit_candidates, debit_export, mandate_decide, next_business_day
from .services.invoicing import credit_note_issue, invoice_issue_period, previous_month
from .services.payments import payment_record
from .services.reminders import invoice_remind, overdue_invoices


def _form_page(request, admin_site, *, title, form, intro="", submit="Valider", obj=None, opts=None):
    context = {
        **admin_site.each_context(request), "title": title, "form": form, "intro": intro, "submit": submit,
        "object": obj, "opts": opts,
    }
    return TemplateResponse(request, "billing/admin/form_page.html", context)


@admin.register(Regie)
class RegieAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "payment_provider", "due_days", "is_active", "staff_links"]
    filter_horizontal = ["structures"]
    readonly_fields = ["staff_links"]
    actions = ["issue_previous_month"]
    fieldsets = [
        (None, {"fields": ["name", "prefix", "structures", "is_active", "due_days", "childcare_certificate", "staff_links"]}),
        ("En-tête des factures et moyens de paiement", {"fields": ["address", "phone", "email", "cheque_payee", "cash_desk"]}),
        ("Paiement en ligne", {"fields": ["payment_provider", "payfip_numcli", "payfip_mode"]}),
        ("Prélèvement SEPA", {"fields": ["sepa_creditor_name", "sepa_creditor_id", "sepa_iban", "sepa_bic"]}),
    ]

    @admin.display(description="Opérations")
    def staff_links(self, obj):
        if not obj or not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">Émettre les factures d\'une période</a> · <a href="{}">Exporter le prélèvement SEPA</a>'
            ' · <a href="{}">Attestations de frais de garde de l\'année</a>',
            reverse("admin:billing_regie_issue", args=[obj.pk]), reverse("admin:billing_regie_debit", args=[obj.pk]),
            reverse("billing_staff:certificates"),
        )

    def get_urls(self):
        return [
            path("<int:pk>/emettre/", self.admin_site.admin_view(self.issue_view), name="billing_regie_issue"),
            path("<int:pk>/prelevement/", self.admin_site.admin_view(self.debit_view), name="billing_regie_debit"),
        ] + super().get_urls()

    @admin.action(description="Émettre les factures du mois précédent")
    def issue_previous_month(self, request, queryset):
        start, end = previous_month(timezone.localdate())
        for regie in queryset:
            try:
                created = invoice_issue_period(regie=regie, period_start=start, period_end=end, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{regie} : {exc.message}", messages.ERROR)
                continue
            self.message_user(
                request, f"{regie} : {len(created)} facture(s) émise(s) pour la période du {start:%d/%m/%Y} au {end:%d/%m/%Y}.",
                messages.SUCCESS,
            )

    def issue_view(self, request, pk):
        regie = get_object_or_404(Regie, pk=pk)
        if not self.has_change_permission(request, regie):
            raise Http404
        start, end = previous_month(timezone.localdate())
        form = IssuePeriodForm(request.POST or None, initial={"period_start": start, "period_end": end})
        if request.method == "POST" and form.is_valid():
            try:
                created = invoice_issue_period(
                    regie=regie, period_start=form.cleaned_data["period_start"], period_end=form.cleaned_data["period_end"],
                    by=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"{len(created)} facture(s) émise(s) pour {regie}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:billing_invoice_changelist") + f"?regie__id__exact={regie.pk}")
        return _form_page(
            request, self.admin_site, title=f"Émettre les factures – {regie}", form=form, submit="Émettre les factures",
            intro="Une facture par famille pour les réservations facturables (réservé, présent, absent facturé) de la "
            "période non encore facturées. Relancer la même période ne crée rien de nouveau.",
            obj=regie, opts=self.model._meta,
        )

    def debit_view(self, request, pk):
        regie = get_object_or_404(Regie, pk=pk)
        if not self.has_change_permission(request, regie):
            raise Http404
        form = DebitExportForm(request.POST or None, initial={"collection_date": next_business_day(timezone.localdate(), 5)})
        if request.method == "POST" and form.is_valid():
            try:
                batch = debit_export(regie=regie, collection_date=form.cleaned_data["collection_date"], by=request.user)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Fichier de prélèvement créé : {batch}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:billing_directdebitbatch_change", args=[batch.pk]))
        candidates = debit_candidates(regie=regie)
        count = candidates.count()
        return _form_page(
            request, self.admin_site, title=f"Prélèvement SEPA – {regie}", form=form, submit="Créer le fichier pain.008",
            intro=f"{count} facture(s) impayée(s) de familles au prélèvement, pas encore prélevée(s).",
            obj=regie, opts=self.model._meta,
        )


class TariffBracketInline(admin.TabularInline):
    model = TariffBracket
    extra = 3
    formfield_overrides = LOCALIZED_DECIMALS


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ["label", "unit", "mode", "flat_price", "valid_from", "valid_until"]
    list_filter = ["mode", "unit__activity__activity_type__structure"]
    search_fields = ["label", "unit__name", "unit__activity__name"]
    list_select_related = ["unit__activity"]
    autocomplete_fields = ["unit"]  # searched by name, code or activity, not typed as an id
    inlines = [TariffBracketInline]
    formfield_overrides = LOCALIZED_DECIMALS


class InvoiceLineInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InvoiceLine
    fields = ["date", "child_name", "activity_name", "unit_name", "tariff_label", "state_label", "quantity", "unit_price", "amount"]
    readonly_fields = fields
    extra = 0
    can_delete = False


class CreditNoteInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditNote
    fields = ["number", "issued_on", "amount", "reason", "created_by"]
    readonly_fields = fields
    extra = 0


class AllocationInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = PaymentAllocation
    fields = ["payment", "invoice", "amount"]
    readonly_fields = fields
    extra = 0


class ReminderInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = InvoiceReminder
    fields = ["rank", "sent_at", "remaining", "emailed_to", "sent_by"]
    readonly_fields = fields
    extra = 0


class OverdueFilter(admin.SimpleListFilter):
    title = "échéance"
    parameter_name = "echeance"

    def lookups(self, request, model_admin):
        return [("retard", "En retard"), ("relancee", "En retard, déjà relancée"), ("a_venir", "À payer, pas encore échue")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        overdue = overdue_invoices(today=today).values("pk")
        if self.value() == "retard":
            return queryset.filter(pk__in=overdue)
        if self.value() == "relancee":
            return queryset.filter(pk__in=overdue, reminders__isnull=False).distinct()
        if self.value() == "a_venir":
            return queryset.filter(status=Invoice.Status.DUE, due_on__gte=today,
                                   total__gt=F("paid_amount") + F("credited_amount"))
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Issued invoices are read-only: corrections are credit notes (« Établir un avoir »)."""

    list_display = [
        "number", "issued_on", "due_on_display", "family_link", "payer_name", "regie", "total_display", "paid_display",
        "remaining_display", "status", "last_reminder", "pdf_link",
    ]
    list_filter = [OverdueFilter, "regie", "status", "year"]
    search_fields = ["number", "family_name", "family_number", "payer_name"]
    date_hierarchy = "issued_on"
    list_select_related = ["regie"]
    inlines = [InvoiceLineInline, CreditNoteInline, AllocationInline, ReminderInline]
    actions = ["remind"]
    exclude = []

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(last_reminder_at=Max("reminders__sent_at"))

    @admin.display(description="Échéance", ordering="due_on")
    def due_on_display(self, obj):
        late = obj.status == Invoice.Status.DUE and obj.remaining > 0 and obj.due_on < timezone.localdate()
        if late:
            return format_html('{} <strong>(en retard)</strong>', f"{obj.due_on:%d/%m/%Y}")
        return f"{obj.due_on:%d/%m/%Y}"

    @admin.display(description="Famille", ordering="family_name")
    def family_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("families_staff:family", args=[obj.family_id]), obj.family_name)

    @admin.display(description="Montant", ordering="total")
    def total_display(self, obj):
        return f"{euros(obj.total)} €"

    @admin.display(description="Payé", ordering="paid_amount")
    def paid_display(self, obj):
        return f"{euros(obj.paid_amount)} €"

    @admin.display(description="Dernière relance", ordering="last_reminder_at")
    def last_reminder(self, obj):
        when = getattr(obj, "last_reminder_at", None)
        return timezone.localtime(when).strftime("%d/%m/%Y") if when else "—"

    @admin.action(description="Relancer les factures sélectionnées (e-mail et courrier PDF)")
    def remind(self, request, queryset):
        reminded = []
        for invoice in queryset.order_by("family_name", "number"):
            try:
                reminded.append(invoice_remind(invoice=invoice, by=request.user))
            except DomainError as exc:
                self.message_user(request, exc.message, messages.WARNING)
        if reminded:
            letters = reverse("billing_staff:reminder_letters") + "?ids=" + ",".join(str(r.pk) for r in reminded)
            self.message_user(request, format_html(
                '{} facture(s) relancée(s) ({} par e-mail). <a href="{}">Télécharger les courriers de relance (PDF)</a>',
                len(reminded), sum(1 for r in reminded if r.emailed_to), letters,
            ), messages.SUCCESS)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["remaining_display", "pdf_link", "staff_links"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Reste à payer")
    def remaining_display(self, obj):
        return f"{euros(obj.remaining)} €"

    @admin.display(description="PDF")
    def pdf_link(self, obj):
        return format_html('<a href="{}" target="_blank" rel="noopener">PDF</a>', reverse("billing_staff:invoice_pdf", args=[obj.pk]))

    @admin.display(description="Opérations")
    def staff_links(self, obj):
        links = [(reverse("billing_staff:invoice_pdf", args=[obj.pk]), "Télécharger le PDF")]
        if obj.remaining > 0:
            links.append((reverse("admin:billing_payment_add") + f"?family={obj.family_id}&regie={obj.regie_id}&invoices={obj.pk}", "Enregistrer un règlement"))
            links.append((reverse("admin:billing_invoice_credit", args=[obj.pk]), "Établir un avoir"))
        return format_html_join(" · ", '<a href="{}">{}</a>', links)

    def get_fields(self, request, obj=None):
        return ["staff_links"] + [f.name for f in self.model._meta.fields if f.name != "id"] + ["remaining_display"]

    def get_urls(self):
        return [
            path("<int:pk>/avoir/", self.admin_site.admin_view(self.credit_view), name="billing_invoice_credit"),
        ] + super().get_urls()

    def credit_view(self, request, pk):
        invoice = get_object_or_404(Invoice, pk=pk)
        if not request.user.has_perm("billing.add_creditnote"):
            raise Http404
        form = CreditNoteForm(request.POST or None, initial={"amount": invoice.remaining}, invoice=invoice)
        if request.method == "POST" and form.is_valid():
            try:
                note = credit_note_issue(invoice=invoice, amount=form.cleaned_data["amount"], reason=form.cleaned_data["reason"],
                                         line=form.cleaned_data["line"], by=request.user)
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Avoir {note.number} établi sur la facture {invoice.number}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
        return _form_page(
            request, self.admin_site, title=f"Établir un avoir – facture {invoice.number}", form=form, submit="Établir l'avoir",
            intro=f"Reste à payer : {euros(invoice.remaining)} €. La facture émise n'est pas modifiée ; l'avoir réduit ce qui est dû.",
            obj=invoice, opts=self.model._meta,
        )


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "issued_on", "invoice", "family", "amount", "reason", "created_by"]
    search_fields = ["number", "invoice__number", "family__name"]
    list_select_related = ["invoice", "family", "created_by"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Cheques, cash, CESU, transfers: recorded once (audited), allocated by the service, never edited."""

    list_display = ["received_on", "family", "mode", "amount", "reference", "regie", "allocated", "recorded_by"]
    list_filter = ["mode", "regie", "received_on"]
    search_fields = ["family__name", "family__number", "reference", "payer_name"]
    list_select_related = ["family", "regie", "recorded_by"]
    date_hierarchy = "received_on"
    inlines = [AllocationInline]
    autocomplete_fields = ["family", "payer"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] if obj else []

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Affecté à")
    def allocated(self, obj):
        return ", ".join(f"{a.invoice.number} ({euros(a.amount)} €)" for a in obj.allocations.all()) or "crédit"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("allocations__invoice")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise Http404
        initial = {"received_on": timezone.localdate()}
        for key in ("family", "regie"):
            if request.GET.get(key):
                initial[key] = request.GET[key]
        if request.GET.get("invoices"):
            ids = [i for i in request.GET["invoices"].split(",") if i.isdigit()]
            initial["invoices"] = ids
            due = Invoice.objects.filter(pk__in=ids, status=Invoice.Status.DUE)
            remaining = sum((invoice.remaining for invoice in due), 0)
            if remaining > 0:
                initial["amount"] = remaining
        form = ManualPaymentForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            invoices = list(data["invoices"]) or list(
                Invoice.objects.filter(family=data["family"], regie=data["regie"], status=Invoice.Status.DUE)
            )
            try:
                payment = payment_record(
                    family=data["family"], regie=data["regie"], mode=data["mode"], amount=data["amount"],
                    received_on=data["received_on"], invoices=invoices, payer=data["payer"], reference=data["reference"],
                    bank=data["bank"], note=data["note"], by=request.user,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(request, f"Règlement enregistré : {payment}.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:billing_payment_change", args=[payment.pk]))
        family = Family.objects.filter(pk=initial.get("family") or 0).first() if str(initial.get("family", "")).isdigit() else None
        intro = "Sans facture cochée, le montant est affecté aux factures impayées les plus anciennes de la famille pour cette régie."
        if family is not None:
            intro = f"Famille {family} – " + intro
        else:
            intro = "Cherchez la famille par son nom ou son numéro, ou ouvrez une facture et choisissez « Enregistrer un règlement » pour pré-remplir la famille et le montant. " + intro
        return _form_page(
            request, self.admin_site, title="Enregistrer un règlement", form=form, submit="Enregistrer le règlement",
            intro=intro, opts=self.model._meta,
        )


class OnlineTransactionInvoiceInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = OnlineTransactionInvoice
    fields = ["invoice", "amount", "active"]
    readonly_fields = fields
    extra = 0


@admin.register(OnlineTransaction)
class OnlineTransactionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["reference", "started_at", "family", "invoice_numbers", "amount", "provider", "state", "provider_status"]
    list_filter = ["state", "provider"]
    search_fields = ["reference", "provider_transaction_id", "items__invoice__number", "family__name"]
    list_select_related = ["family"]
    inlines = [OnlineTransactionInvoiceInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related(
            Prefetch("items", queryset=OnlineTransactionInvoice.objects.select_related("invoice").only("transaction_id", "invoice__number"))
        )

    @admin.display(description="factures")
    def invoice_numbers(self, obj):
        return ", ".join(item.invoice.number for item in obj.items.all())

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


@admin.register(PaymentNotification)
class PaymentNotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["received_at", "provider", "source", "outcome", "reason", "transaction", "remote_addr"]
    list_filter = ["outcome", "provider", "source"]
    search_fields = ["raw", "reason", "transaction__reference"]
    list_select_related = ["transaction"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


@admin.register(DirectDebitMandate)
class DirectDebitMandateAdmin(admin.ModelAdmin):
    list_display = ["reference", "family", "holder_name", "iban_display", "status", "requested_at", "decided_by"]
    list_filter = ["status"]
    search_fields = ["reference", "family__name", "holder_name"]
    list_select_related = ["family", "decided_by"]
    actions = ["accept", "refuse"]
    readonly_fields = [
        "family", "guardian", "holder_name", "iban", "bic", "holder_address", "reference", "signed_on", "status",
        "first_collection_done", "requested_at", "decided_at", "decided_by", "refusal_reason",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="IBAN (masqué)")
    def iban_display(self, obj):
        return obj.iban_masked

    @admin.action(description="Accepter les demandes de prélèvement sélectionnées")
    def accept(self, request, queryset):
        self._decide(request, queryset, accept=True)

    @admin.action(description="Refuser les demandes sélectionnées (IBAN ou mandat non conforme)")
    def refuse(self, request, queryset):
        self._decide(request, queryset, accept=False, reason="Mandat ou coordonnées bancaires non conformes : contactez le service.")

    def _decide(self, request, queryset, *, accept, reason=""):
        done = 0
        for mandate in queryset:
            try:
                mandate_decide(mandate=mandate, accept=accept, by=request.user, reason=reason)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{mandate.reference} : {exc.message}", messages.WARNING)
        if done:
            self.message_user(request, f"{done} demande(s) {'acceptée(s)' if accept else 'refusée(s)'}.", messages.SUCCESS)


class DirectDebitItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DirectDebitItem
    fields = ["invoice", "mandate", "amount", "sequence_type"]
    readonly_fields = fields
    extra = 0


@admin.register(DirectDebitBatch)
class DirectDebitBatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "regie", "created_at", "collection_date", "count", "total", "payments_recorded_at", "download"]
    readonly_fields = ["regie", "created_at", "created_by", "collection_date", "count", "total", "payments_recorded_at", "download"]
    exclude = ["xml"]
    inlines = [DirectDebitItemInline]
    actions = ["record_payments"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="Fichier")
    def download(self, obj):
        return format_html('<a href="{}">Télécharger le fichier pain.008</a>', reverse("admin:billing_directdebitbatch_xml", args=[obj.pk]))

    def get_urls(self):
        return [
            path("<int:pk>/xml/", self.admin_site.admin_view(self.xml_view), name="billing_directdebitbatch_xml"),
        ] + super().get_urls()

    def xml_view(self, request, pk):
        if not self.has_view_permission(request):
            raise Http404
        batch = get_object_or_404(DirectDebitBatch, pk=pk)
        response = HttpResponse(batch.xml, content_type="application/xml")
        response["Content-Disposition"] = f'attachment; filename="prelevement-{batch.regie.prefix}-{batch.collection_date:%Y%m%d}.xml"'
        return response

    @admin.action(description="Enregistrer les règlements (prélèvement encaissé par la banque)")
    def record_payments(self, request, queryset):
        for batch in queryset:
            try:
                count = debit_batch_record_payments(batch=batch, by=request.user)
            except DomainError as exc:
                self.message_user(request, f"{batch} : {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{batch} : {count} règlement(s) enregistré(s).", messages.SUCCESS)


@admin.register(FamilyPayer)
class FamilyPayerAdmin(admin.ModelAdmin):
    list_display = ["family", "guardian"]
    autocomplete_fields = ["family", "guardian"]
    search_fields = ["family__name", "family__number"]


@admin.register(NumberSequence)
class NumberSequenceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["regie", "year", "kind", "last_number"]

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff
