"""The fair-opening sections of « Mes données » (registered in portal.gdpr): requests and outcomes."""
from portal.gdpr import register_export

from .models import FamilyOutcome, PlaceRequest


def requests_export(family):
    return [
        {"date": r.date, "enfant": r.child.first_name, "activite": r.unit.activity.name, "prestation": r.unit.name,
         "demandee_le": r.requested_at, "resultat": r.get_outcome_display()}
        for r in PlaceRequest.objects.for_family(family).select_related("child", "unit__activity")
        .order_by("-date", "child__first_name")
    ]


def outcomes_export(family):
    return [
        {"periode": str(o.phase.window), "rang": o.rank, "tirage_sha256": o.draw, "criteres": o.criteria,
         "jours_obtenus": o.granted, "jours_en_attente": o.waiting}
        for o in FamilyOutcome.objects.for_family(family).select_related("phase__window").order_by("-id")
    ]


register_export("demandes_de_places", requests_export, label="Demandes de places (phases de demandes)", order=45)
register_export("attributions", outcomes_export, label="Attributions de places", order=46)
