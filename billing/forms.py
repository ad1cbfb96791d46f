"""Input shape and field validation only; the rules live in the services."""
import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.errors import BillingError

from .models import Invoice, Payment, Regie
from .pricing import euros
from .services.direct_debit import iban_clean


class PayForm(forms.Form):
    email = forms.EmailField(
        label="Adresse e-mail pour recevoir le reçu de paiement", max_length=80,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "class": "form-control"}),
    )


class MandateForm(forms.Form):
    holder_name = forms.CharField(
        label="Titulaire du compte", max_length=70, widget=forms.TextInput(attrs={"autocomplete": "name", "class": "form-control"})
    )
    holder_address = forms.CharField(
        label="Adresse du titulaire", max_length=250, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "street-address", "class": "form-control"}),
    )
    iban = forms.CharField(
        label="IBAN", max_length=42, help_text="Par exemple FR76 3000 6000 0112 3456 7890 189",
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "form-control", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label="BIC (facultatif)", max_length=11, required=False, help_text="Déduit de l'IBAN s'il est laissé vide.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "form-control"}),
    )
    consent = forms.BooleanField(
        label="J'autorise la régie à envoyer des instructions à ma banque pour débiter mon compte du montant de mes "
        "factures, conformément au mandat de prélèvement SEPA.",
    )

    def clean_iban(self):
        try:
            return iban_clean(self.cleaned_data["iban"])
        except BillingError as exc:
            raise ValidationError(exc.message) from exc


class IssuePeriodForm(forms.Form):
    """Admin: issue the invoices of one period for the selected régies."""

    period_start = forms.DateField(label="Période du", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    period_end = forms.DateField(label="au", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    not_over = forms.BooleanField(
        label="Émettre quand même : je sais que des jours de la période ne sont pas encore passés", required=False)

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean(self):
        data = super().clean()
        if data.get("period_start") and data.get("period_end") and data["period_end"] < data["period_start"]:
            raise ValidationError("La fin de la période précède son début.")
        # Days still to come may yet be cancelled, excused or pointed: invoicing them is a decision.
        if data.get("period_end") and data["period_end"] >= self.today and not data.get("not_over"):
            self.add_error("not_over", f"La période se termine le {data['period_end']:%d/%m/%Y} : des jours ne sont pas "
                                       f"encore passés (les réservations peuvent encore changer). Cochez cette case "
                                       f"pour émettre quand même.")
        return data


class CreditNoteForm(forms.Form):
    line = forms.ModelChoiceField(
        label="Ligne corrigée", required=False, queryset=None, empty_label="Toute la facture (pas une ligne précise)",
        help_text="Choisissez la ligne (un jour, un enfant, une prestation) que l'avoir corrige.",
    )
    amount = forms.DecimalField(label="Montant de l'avoir (€)", max_digits=10, decimal_places=2, min_value=0.01, localize=True)
    reason = forms.CharField(label="Motif", max_length=300)

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = invoice.lines.order_by("date", "child_name", "unit_name")
        self.fields["line"].label_from_instance = lambda line: (
            f"{line.date:%d/%m/%Y} – {line.child_name} – {line.activity_name}, {line.unit_name} : {euros(line.amount)} €"
        )


class DebitExportForm(forms.Form):
    collection_date = forms.DateField(label="Date de prélèvement", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean_collection_date(self):
        day = self.cleaned_data["collection_date"]
        if day <= datetime.date.today():
            raise ValidationError("La date de prélèvement doit être dans le futur.")
        return day


class ManualPaymentForm(forms.ModelForm):
    """Admin add form of a payment: the service allocates it to the chosen invoices, oldest first."""

    invoices = forms.ModelMultipleChoiceField(
        label="Factures réglées", required=False, queryset=Invoice.objects.none(),
        help_text="Le montant est affecté aux factures choisies, de la plus ancienne à la plus récente ; "
        "un paiement partiel est possible. Sans choix : aux factures impayées les plus anciennes de la famille "
        "pour cette régie ; le surplus reste en crédit sur son compte.",
    )

    class Meta:
        model = Payment
        fields = ["family", "regie", "mode", "amount", "received_on", "payer", "reference", "bank", "note"]
        # Searched (admin autocomplete, by name or number) rather than drop-downs of thousands of families.
        widgets = {
            "family": AutocompleteSelect(Payment._meta.get_field("family"), admin.site),
            "payer": AutocompleteSelect(Payment._meta.get_field("payer"), admin.site),
            "received_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        labels = {"family": "Famille (nom ou n°)", "payer": "Tiers payeur (facultatif)"}
        localized_fields = ["amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = [(m.value, m.label) for m in Payment.MANUAL_MODES]
        self.fields["regie"].queryset = Regie.objects.filter(is_active=True)
        family_id = self.data.get("family") or self.initial.get("family")
        qs = Invoice.objects.filter(status=Invoice.Status.DUE).select_related("regie").order_by("due_on")
        self.fields["invoices"].queryset = qs.filter(family_id=family_id) if family_id else qs.none()
        self.fields["invoices"].label_from_instance = lambda inv: (
            f"{inv.number} – {inv.family_name} – reste {euros(inv.remaining)} € (échéance {inv.due_on:%d/%m/%Y})"
        )

    def clean(self):
        data = super().clean()
        family, payer = data.get("family"), data.get("payer")
        if family and payer and payer.family_id != family.pk:
            self.add_error("payer", "Ce responsable n'appartient pas à la famille choisie.")
        for invoice in data.get("invoices") or []:
            if family and invoice.family_id != family.pk:
                self.add_error("invoices", f"La facture {invoice.number} n'est pas une facture de cette famille.")
            if data.get("regie") and invoice.regie_id != data["regie"].pk:
                self.add_error("invoices", f"La facture {invoice.number} relève d'une autre régie.")
        return data
