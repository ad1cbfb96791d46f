"""The « Petite enfance » sections of « Mes données » (registered in portal.gdpr): requests with their
history, and contracts with their monthly hours."""
from portal.gdpr import register_export

from .models import ChildcareContract, MonthlyStatement, PreEnrolment


def requests_export(family):
    pres = PreEnrolment.objects.for_family(family).select_related(
        "child", "nursery_1__structure", "nursery_2__structure", "nursery_3__structure",
    ).prefetch_related("criteria", "events").order_by("-created_at")
    return [
        {"enfant": p.child_label, "etat": p.get_status_display(), "deposee_le": p.created_at,
         "entree_souhaitee": p.wished_start, "horaires": p.schedule, "creches": [str(n) for n in p.nurseries()],
         "situation": [c.label for c in p.criteria.all()], "ressources_mensuelles": p.monthly_resources,
         "enfants_a_charge": p.dependent_children, "dont_aeeh": p.disabled_children,
         "historique": [{"le": e.at, "evenement": e.label} for e in p.events.all()]}
        for p in pres
    ]


def contracts_export(family):
    contracts = ChildcareContract.objects.for_family(family).select_related("nursery__structure", "section")
    months = {}
    for s in MonthlyStatement.objects.filter(contract__family=family).order_by("month"):
        months.setdefault(s.contract_id, []).append(
            {"mois": s.month, "heures_contrat": s.contract_hours, "heures_facturees": s.billed_hours,
             "heures_realisees": s.attended_hours, "montant": s.total})
    return [
        {"enfant": c.child_name, "creche": str(c.section), "du": c.start_date, "au": c.end_date,
         "horaires": c.schedule, "ressources_mensuelles": c.monthly_resources, "taux_effort": c.rate_percent,
         "tarif_horaire": c.hourly_rate, "mensualite": c.monthly_amount, "mois": months.get(c.pk, [])}
        for c in contracts
    ]


register_export("creche_demandes", requests_export, label="Demandes de place en crèche", order=35)
register_export("creche_contrats", contracts_export, label="Contrats d'accueil en crèche", order=36)
