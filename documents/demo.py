"""Demo data of the documents area (``manage.py demo_data``): the documents families must provide, the
consent texts and an open renewal campaign."""
import datetime

from django.utils import timezone

from portal.demo import register as register_demo

from .models import ConsentVersion, DocumentType, RenewalCampaign

DOCUMENT_TYPES = [
    ("Justificatif de domicile", "Facture ou attestation d'assurance habitation de moins de 3 mois", True, 3),
    ("Attestation d'assurance responsabilité civile", "Pour l'année scolaire", True, 12),
    ("Fiche contacts et règlement intérieur signée", "À compléter, signer et renvoyer", True, 12),
    ("Certificat médical", "Uniquement en cas de PAI", False, 12),
    ("Copie du dernier jugement", "En cas de séparation", False, None),
]

CONSENTS = [
    ("rules", "Règlement intérieur des accueils", "J'ai pris connaissance du règlement intérieur des accueils "
     "périscolaires, de la restauration scolaire et des centres de loisirs et je m'engage à le respecter."),
    ("health", "Traitement des données de santé", "J'accepte que le service enregistre les informations de santé "
     "de mes enfants (allergies, PAI, vaccins) pour leur accueil. Elles ne sont visibles que du service et jamais "
     "envoyées par e-mail."),
    ("image", "Droit à l'image", "J'autorise le service à photographier mes enfants lors des activités et à "
     "publier ces photos dans ses supports d'information."),
]


def populate(*, stdout, rng):
    now = timezone.now()
    for order, (name, description, required, months) in enumerate(DOCUMENT_TYPES):
        DocumentType.objects.get_or_create(name=name, defaults={
            "description": description, "is_required": required, "validity_months": months, "order": order})
    for kind, title, text in CONSENTS:
        if not ConsentVersion.objects.filter(kind=kind).exists():
            ConsentVersion.objects.create(kind=kind, version=1, title=title, text=text, published_at=now)
    today = timezone.localdate(now)
    year = today.year if today.month < 9 else today.year + 1
    RenewalCampaign.objects.get_or_create(school_year=f"{year}/{year + 1}", defaults={
        "opens_on": today - datetime.timedelta(days=3), "deadline": today + datetime.timedelta(days=45),
        "instructions": "Vérifiez chaque rubrique, déclarez votre quotient CAF avec l'attestation et envoyez les "
                        "documents demandés, puis cliquez sur « Envoyer au service ».",
    })
    stdout.write(f"Documents : {len(DOCUMENT_TYPES)} types de documents, {len(CONSENTS)} consentements, "
                 f"1 campagne d'actualisation.")


register_demo(populate, order=15)  # after the families
