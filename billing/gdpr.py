"""The billing sections of « Mes données » (registered in portal.gdpr): invoices, payments, direct debit."""
from django.db.models import Prefetch

from portal.gdpr import register_export

from .models import DirectDebitMandate, Invoice, InvoiceLine, Payment


def invoices_export(family):
    invoices = Invoice.objects.filter(family=family).select_related("regie").prefetch_related(
        Prefetch("lines", queryset=InvoiceLine.objects.order_by("date", "pk"))
    ).order_by("-issued_on", "-number")
    return [
        {"numero": i.number, "regie": i.regie.name, "date": i.issued_on, "echeance": i.due_on,
         "periode": f"{i.period_start:%d/%m/%Y} – {i.period_end:%d/%m/%Y}", "montant": i.total,
         "paye": i.paid_amount, "avoirs": i.credited_amount, "etat": i.get_status_display(),
         "lignes": [{"date": line.date, "enfant": line.child_name, "activite": line.activity_name,
                     "prestation": line.unit_name, "quantite": line.quantity, "prix_unitaire": line.unit_price,
                     "montant": line.amount} for line in i.lines.all()]}
        for i in invoices
    ]


def payments_export(family):
    return [
        {"date": p.received_on, "regie": p.regie.name, "mode": p.get_mode_display(), "montant": p.amount,
         "reference": p.reference, "payeur": p.payer_name}
        for p in Payment.objects.filter(family=family).select_related("regie").order_by("-received_on", "-pk")
    ]


def mandates_export(family):
    return [
        {"reference": m.reference, "titulaire": m.holder_name, "iban": m.iban, "bic": m.bic, "adresse": m.holder_address,
         "signe_le": m.signed_on, "etat": m.get_status_display(), "demande_le": m.requested_at, "traite_le": m.decided_at,
         "motif_refus": m.refusal_reason}
        for m in DirectDebitMandate.objects.filter(family=family).order_by("-requested_at")
    ]


register_export("factures", invoices_export, label="Factures", order=50)
register_export("paiements", payments_export, label="Paiements", order=55)
register_export("prelevement", mandates_export, label="Prélèvement automatique", order=56)
