"""Demo data of news and documents: posts, published PDFs (made with WeasyPrint), the documents
families must provide, the consent texts and an open renewal campaign."""
import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from .models import NewsPost, PublishedDocument

POSTS = [
    ("Inscriptions 2026/2027 : actualisez votre dossier",
     "L'**actualisation du dossier famille** est ouverte.\n\n1. Vérifiez la composition de la famille\n"
     "2. Vérifiez les fiches sanitaires\n3. Déclarez votre quotient CAF\n4. Envoyez les documents demandés\n\n"
     "Rendez-vous dans *Mon dossier* > *Actualisation du dossier*.", "everyone"),
    ("Menus de la semaine",
     "Les menus de la restauration scolaire sont en ligne dans les **documents utiles**.", "everyone"),
    ("Vacances d'hiver au centre de loisirs",
     "Les réservations pour les vacances d'hiver sont ouvertes **du 05/01 au 04/02**.\n\n"
     "Pensez au bus du centre : les horaires de ramassage sont dans les documents utiles.", "families"),
    ("Fermeture exceptionnelle",
     "L'accueil périscolaire sera fermé le vendredi du pont de l'Ascension.", "families"),
]

DOCUMENTS = [
    ("Menus de novembre", "menus", "public", "Restauration scolaire – menus du mois"),
    ("Règlement intérieur 2025/2026", "rules", "families", "Règlement des accueils périscolaires et de loisirs"),
    ("Tutoriel : réserver sur le portail", "tutorials", "public", "Les réservations pas à pas, sur ordinateur et téléphone"),
    ("Calendrier des réservations – vacances", "calendars", "families", "Périodes d'inscription de chaque vacance"),
    ("Ramassage bus des centres de loisirs", "bus", "families", "Arrêts et horaires du bus du mercredi et des vacances"),
]

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


def _pdf(title, subtitle):
    from weasyprint import HTML

    html = (f"<html lang='fr'><body style='font-family: sans-serif'><h1>{title}</h1><p>{subtitle}</p>"
            "<p>Document de démonstration du Portail Familles.</p></body></html>")
    return HTML(string=html).write_pdf()


def populate(*, stdout, rng):
    from families.models import ConsentVersion, DocumentType, RenewalCampaign

    now = timezone.now()
    for age, (title, body, audience) in enumerate(POSTS):
        NewsPost.objects.create(title=title, body=body, audience=audience,
                                publish_from=now - datetime.timedelta(days=age * 6 + rng.randint(0, 2)))
    for order, (title, category, visibility, description) in enumerate(DOCUMENTS):
        data = _pdf(title, description)
        doc = PublishedDocument(title=title, category=category, visibility=visibility, description=description,
                                order=order, content_type="application/pdf", original_name=f"{category}.pdf",
                                size=len(data))
        doc.file.save(f"{category}.pdf", ContentFile(data), save=False)
        doc.save()
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
    stdout.write(f"Actualités : {len(POSTS)} actualités, {len(DOCUMENTS)} documents publiés, "
                 f"{len(DOCUMENT_TYPES)} types de documents, {len(CONSENTS)} consentements, 1 campagne d'actualisation.")
