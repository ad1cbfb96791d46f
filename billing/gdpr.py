"""« Mes données »: the family's direct-debit mandates (invoices and payments are exported by portal.gdpr)."""
from portal.gdpr import register_export


def mandates_export(family):
    from .models import DirectDebitMandate

    return [
        {"reference": m.reference, "titulaire": m.holder_name, "iban": m.iban, "bic": m.bic, "adresse": m.holder_address,
         "signe_le": m.signed_on, "etat": m.get_status_display(), "demande_le": m.requested_at, "traite_le": m.decided_at,
         "motif_refus": m.refusal_reason}
        for m in DirectDebitMandate.objects.filter(family=family).order_by("-requested_at")
    ]


register_export("prelevement", mandates_export, label="Prélèvement automatique", order=56)
