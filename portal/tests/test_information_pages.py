"""Help, accessibility statement and site map: open to everyone, linked from every page's footer."""
import json

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from billing.tests.factories import March
from portal import accessibility, caching, sitemap
from portal.models import Organisation

pytestmark = pytest.mark.django_db

# Parameterless addresses that are not pages a parent opens from a menu (the plan leaves them out).
NOT_PAGES = {"compte/", "admin/", "personnel/",
             "identite/franceconnect/deconnecte/",  # the landing page after a FranceConnect logout
             "facturation/factures/payer/total/"}  # the live total htmx puts under the ticked invoices


def _routes(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_the_plan_lists_every_parent_page(parent_client, parent):
    """Every parameterless address a parent can open as a page (HTML, 200) is linked from the plan; a new
    parent page fails here until it is added to portal/sitemap.py (or registered by its app)."""
    March(parent[1])
    plan = parent_client.get(reverse("sitemap")).content.decode()
    linked = {path for section in sitemap.sections() for _label, path in section["pages"]}
    missing = []
    for route in _routes(get_resolver().url_patterns):
        if "<" in route or route.startswith(tuple(NOT_PAGES)):
            continue
        path = "/" + route
        response = parent_client.get(path)
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            if path not in linked or f'href="{path}"' not in plan:
                missing.append(path)
    assert not missing, f"Pages missing from the « Plan du site » (portal/sitemap.py): {missing}"
    assert reverse("account_change_password") in linked and len(linked) >= 30


def test_information_pages_are_public_and_in_every_footer(client):
    for name, heading in (("help", "Aide"), ("accessibility", "Déclaration d'accessibilité"), ("sitemap", "Plan du site")):
        response = client.get(reverse(name))
        assert response.status_code == 200
        html = response.content.decode()
        assert f">{heading}</h1>" in html
        for link in ("/aide/", "/accessibilite/", "/plan-du-site/"):
            assert f'href="{link}"' in html
        assert "Accessibilité : non conforme" in html
    login = client.get(reverse("account_login")).content.decode()
    assert 'href="/accessibilite/"' in login


def test_help_answers_the_questions_of_the_seeds(client):
    html = client.get(reverse("help")).content.decode()
    for words in ("Réserver des jours", "Les dates limites", "Annuler un jour ou déclarer une absence",
                  "Factures et paiement", "Documents à fournir", "certificat médical", "PayFiP", "6 Mo",
                  "Mot de passe oublié"):
        assert words in html, words


def test_statement_follows_the_model_with_the_recorded_figures_and_the_contact(client):
    organisation = Organisation.current()
    organisation.email = "enfance@annonay.example"
    organisation.accessibility_email = "accessibilite@annonay.example"
    organisation.accessibility_plan_url = "https://www.annonay.example/schema-accessibilite"
    organisation.save()
    caching.reset()
    html = client.get(reverse("accessibility")).content.decode()
    for words in ("État de conformité", "non conforme", "RGAA", "Résultats des tests", "Contenus non accessibles",
                  "Établissement de cette déclaration", "Technologies utilisées", "Environnement de test",
                  "Outils pour évaluer", "Pages du site ayant fait l", "Retour d", "Voies de recours",
                  "Défenseur des droits", "Libre réponse 71120", "article 47 de la loi n° 2005-102"):
        assert words in html, words
    assert "mailto:accessibilite@annonay.example" in html
    assert html.count("mailto:enfance@annonay.example") == 1  # the footer's; the statement names its own contact
    assert 'href="https://www.annonay.example/schema-accessibilite"' in html
    figures = accessibility.statement_figures()
    assert len(figures["sizes"]) == 2 and all(size["pages"] >= 30 for size in figures["sizes"])
    for size in figures["sizes"]:
        assert f"pages testées : {size['pages']}" in html
    for page in figures["pages"]:
        assert page["path"] in html
    assert f"axe-core {figures['axe_version']}" in html
    organisation.accessibility_email = ""
    organisation.save()
    caching.reset()
    assert client.get(reverse("accessibility")).content.decode().count("mailto:enfance@annonay.example") == 2


def test_statement_lists_the_rules_a_run_found(client, tmp_path, monkeypatch):
    run = {
        "date": "2026-11-30", "size": "desktop", "axe_version": "4.12.1", "browser": "Chromium 1",
        "pages": [{"title": "Accueil", "path": "/"}, {"title": "Mes factures", "path": "/facturation/"}],
        "violations_by_impact": {"critical": 0, "serious": 0, "moderate": 3, "minor": 1},
        "rules": [{"id": "region", "impact": "moderate", "help_url": "https://dequeuniversity.com/rules/axe/4.12/region",
                   "count": 3, "pages": 2}],
        "pages_with_horizontal_scroll": 1,
    }
    (tmp_path / "desktop.json").write_text(json.dumps(run), encoding="utf-8")
    monkeypatch.setattr(accessibility, "AUDIT_DIR", tmp_path)
    html = client.get(reverse("accessibility")).content.decode()
    assert "30 novembre 2026" in html and "pages testées : 2" in html and "violations modérées : 3" in html
    assert "règle « region » (modérée) : 3 éléments sur 2 pages, écran ordinateur" in html
    assert "pages avec défilement horizontal : 1" in html
    monkeypatch.setattr(accessibility, "AUDIT_DIR", tmp_path / "none")
    html = client.get(reverse("accessibility")).content.decode()
    assert "ne sont pas disponibles sur ce serveur" in html
