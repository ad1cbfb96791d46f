"""The « Plan du site »: every page a parent can open, by section.

Core knows the pages by their URL names only (as the navigation does); an app may add its own section
with ``register(title, pages, order=)`` from its ``AppConfig.ready``. A URL name that does not resolve
(an app left out of ``INSTALLED_APPS``) is skipped. ``portal/tests/test_information_pages.py`` fails when a
parent page is missing here."""
from django.urls import NoReverseMatch, reverse

# (order, section title, [(label, URL name)])
_sections = [
    (10, "Accueil", [("Accueil – tableau de bord", "home"), ("Mes données (RGPD)", "my_data")]),
    (20, "Mon dossier", [
        ("Mon dossier (foyer et responsables)", "families:dossier"),
        ("Modifier le foyer", "families:family_edit"),
        ("Mes enfants et leurs fiches sanitaires", "families:children"),
        ("Demander l'ajout d'un enfant", "families:child_add"),
        ("Mes demandes (dossier, réservations, absences, inscriptions)", "families:requests"),
        ("Récupérer mon quotient familial auprès de la CAF ou de la MSA", "quotient:fetch"),
        ("Déposer mon attestation de quotient familial", "quotient:proof"),
        ("Mes documents (pièces justificatives)", "documents:index"),
        ("Mes consentements", "documents:consents"),
        ("Actualisation du dossier", "documents:renewal"),
    ]),
    (30, "Inscriptions et réservations", [
        ("Inscriptions de mes enfants", "enrolment:index"),
        ("Nouvelle inscription", "enrolment:request"),
        ("Planning – Réservations", "enrolment:planning"),
        ("Mes réservations à confirmer", "enrolment:basket"),
        ("Agenda (calendrier à synchroniser)", "enrolment:feed_manage"),
        ("Ouverture équitable des réservations : règles et résultats", "opening:index"),
        ("Petite enfance : mes demandes de place en crèche", "earlychildhood:index"),
        ("Demander une place en crèche", "earlychildhood:request"),
    ]),
    (40, "Facturation", [
        ("Mes factures", "billing:index"),
        ("Mes paiements", "billing:payments"),
        ("Relevé de compte", "billing:statement"),
        ("Détail par inscription", "billing:enrolment_detail"),
        ("Attestations de frais de garde", "billing:certificates"),
        ("Prélèvement automatique", "billing:direct_debit"),
    ]),
    (50, "Messagerie", [("Mes messages", "messaging:inbox"), ("Écrire au service", "messaging:compose")]),
    (60, "Informations", [
        ("Actualités", "news:index"),
        ("Documents utiles", "news:documents"),
        ("Menus de la restauration", "menus:index"),
    ]),
    (70, "Mon compte", [("Changer mon mot de passe", "account_change_password"),
                        ("FranceConnect : lier ou délier mon compte", "identity:account")]),
    (80, "Aide et accessibilité", [
        ("Aide", "help"),
        ("Déclaration d'accessibilité", "accessibility"),
        ("Plan du site", "sitemap"),
    ]),
]


def register(title, pages, *, order=65):
    """Add a section of ``pages`` [(label, URL name)] to the plan (or replace the section of that title)."""
    _sections[:] = [section for section in _sections if section[1] != title]
    _sections.append((order, title, list(pages)))


def sections():
    """[{"title", "pages": [(label, path)]}] in order, URL names that do not resolve left out."""
    result = []
    for _order, title, pages in sorted(_sections, key=lambda section: section[0]):
        links = []
        for label, name in pages:
            try:
                links.append((label, reverse(name)))
            except NoReverseMatch:
                continue
        if links:
            result.append({"title": title, "pages": links})
    return result
