"""Demo data of news: posts and published PDFs (made with WeasyPrint). The documents families must provide,
the consent texts and the renewal campaign are the documents app's (documents/demo.py)."""
import datetime

from django.core.files.base import ContentFile
from django.utils import timezone

from portal.demo import register as register_demo

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

def _pdf(title, subtitle):
    from weasyprint import HTML  # imported lazily: ~0.7 s, only when the demo is loaded

    html = (f"<html lang='fr'><body style='font-family: sans-serif'><h1>{title}</h1><p>{subtitle}</p>"
            "<p>Document de démonstration du Portail Familles.</p></body></html>")
    return HTML(string=html).write_pdf()


def populate(*, stdout, rng):
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
    stdout.write(f"Actualités : {len(POSTS)} actualités, {len(DOCUMENTS)} documents publiés.")


register_demo(populate, order=50)
