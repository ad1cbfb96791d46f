"""The family file's sections of « Mes données » (registered in portal.gdpr)."""
from portal.gdpr import register_export

from .models import ChangeRequest, Guardian, QuotientRecord
from .selectors import family_children_sheets


def family_file_export(family):
    guardians = [
        {
            "responsable": g.rank, "civilite": g.get_civility_display(), "nom": g.last_name, "prenom": g.first_name,
            "lien": g.get_relationship_display(), "email": g.email, "portable": g.mobile_phone,
            "telephone_pro": g.work_phone, "profession": g.profession, "employeur": g.employer,
            "adresse_employeur": g.employer_address, "compte_portail": bool(g.user_id),
            "adresse": g.own_address_lines or "même adresse que la famille",
            "telephone_domicile": g.home_phone if g.has_own_address else "",
        }
        for g in Guardian.objects.filter(family=family).order_by("rank")
    ]
    requests = [
        {"type": r.get_kind_display(), "concerne": r.target_label, "modifications": r.changes,
         "etat": r.get_status_display(), "demandee_le": r.requested_at, "traitee_le": r.decided_at,
         "motif_refus": r.refusal_reason}
        for r in ChangeRequest.objects.filter(family=family).order_by("-requested_at")
    ]
    return {
        "numero": family.number, "nom": family.name, "situation": family.get_situation_display(),
        "adresse": family.address_lines, "telephone_domicile": family.home_phone,
        "regime": family.get_benefit_regime_display(), "numero_allocataire": family.benefit_number,
        "quotient_familial": family.quotient, "quotient_valable_du": family.quotient_valid_from,
        "quotient_valable_jusqu_au": family.quotient_valid_until, "accepte_emails": family.allow_email,
        "accepte_sms": family.allow_sms, "responsables": guardians, "demandes_de_modification": requests,
        "historique_quotient": [
            {"quotient": q.value, "origine": q.get_source_display(), "mois_du_quotient": q.benefit_month,
             "allocataire": q.allocataire, "applique_du": q.valid_from, "jusqu_au": q.valid_to,
             "etat": q.get_status_display(), "recu_le": q.created_at, "traite_le": q.validated_at,
             "motif_refus": q.refusal_reason}
            for q in QuotientRecord.objects.filter(family=family).order_by("-created_at", "-pk")
        ],
    }


def children_export(family):
    result = []
    for child in family_children_sheets(family=family):
        health = getattr(child, "health", None)
        result.append({
            "prenom": child.first_name, "nom": child.last_name, "date_de_naissance": child.birth_date,
            "sexe": child.get_sex_display(), "ecole": child.school, "niveau": child.get_school_level_display(),
            "droit_a_l_image": child.image_rights,
            "fiche_sanitaire": {
                "allergies": health.allergies, "allergenes_reglementaires": health.food_allergens_display,
                "regime": health.get_diet_display(), "pai": health.pai,
                "details_pai": health.pai_details, "medecin": health.doctor_name,
                "telephone_medecin": health.doctor_phone, "lunettes": health.glasses,
                "appareil_auditif": health.hearing_aid,
                "handicap_reconnu_mdph": health.disability, "amenagements_souhaites": health.accommodations,
                "recommandations": health.notes,
            } if health else {},
            "vaccins": [{"vaccin": v.vaccine, "date": v.date} for v in child.vaccinations.all()],
            "personnes_autorisees": [
                {"nom": p.last_name, "prenom": p.first_name, "lien": p.relationship, "telephone": p.phone,
                 "peut_recuperer": p.can_pick_up, "contact_urgence": p.emergency_contact}
                for p in child.authorised_persons.all()
            ],
        })
    return result


register_export("dossier_famille", family_file_export, label="Dossier famille", order=10)
register_export("enfants", children_export, label="Enfants et fiches sanitaires", order=20)
