"""The documents area's sections of « Mes données » (registered in portal.gdpr)."""
from portal.gdpr import register_export

from .models import FamilyDocument, RenewalSubmission
from .selectors import consent_history


def documents_export(family):
    return [
        {"document": d.document_type.name, "fichier": d.original_name, "depose_le": d.uploaded_at, "etat": d.get_status_display(),
         "motif_refus": d.refusal_reason, "valable_jusqu_au": d.valid_until}
        for d in FamilyDocument.objects.filter(family=family).select_related("document_type").order_by("-uploaded_at")
    ]


def consents_export(family):
    return [
        {"texte": a.version.get_kind_display(), "version": a.version.version, "titre": a.version.title,
         "responsable": a.guardian.full_name, "reponse": "accepté" if a.accepted else "refusé", "le": a.answered_at}
        for a in consent_history(family=family)
    ]


def renewals_export(family):
    return [
        {"annee_scolaire": r.campaign.school_year, "etat": r.get_status_display(), "envoyee_le": r.submitted_at,
         "quotient_declare": r.declared_quotient, "n_allocataire_declare": r.quotient_benefit_number,
         "precisions": r.family_comment, "commentaire_du_service": r.staff_comment, "traitee_le": r.decided_at}
        for r in RenewalSubmission.objects.filter(family=family).select_related("campaign").order_by("-campaign__opens_on")
    ]


register_export("documents", documents_export, label="Documents déposés", order=70)
register_export("consentements", consents_export, label="Consentements", order=75)
register_export("actualisations", renewals_export, label="Actualisations du dossier", order=80)
