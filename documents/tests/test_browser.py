import re

import pytest

from documents.models import ConsentVersion, DocumentType, FamilyDocument
from families.tests.factories import parent_with_family
from messaging.tests.factories import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_a_document_and_answer_consents(page, live_server, browser_login, axe_check):
    DocumentType.objects.create(name="Justificatif de domicile", validity_months=3)
    ConsentVersion.objects.create(kind="rules", version=1, title="Règlement intérieur", text="Article 1.")
    user, family = parent_with_family(children=1)
    browser_login(page, user)
    # The new consent text is asked first.
    assert "consentements" in page.url
    axe_check(page)
    page.get_by_label("J'ai lu et j'accepte : Règlement intérieur (version 1)").check()
    page.get_by_role("button", name="Enregistrer mes réponses").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Mon tableau de bord").is_visible()
    axe_check(page)
    page.goto(f"{live_server.url}/dossier/documents/")
    axe_check(page)
    page.get_by_role("combobox", name=re.compile(r"^Document")).select_option(label="Justificatif de domicile")
    page.get_by_label("Fichier").set_input_files(
        files=[{"name": "facture-edf.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
    )
    page.get_by_role("button", name="Envoyer le document").click()
    page.wait_for_load_state()
    assert page.get_by_text("« Justificatif de domicile » a bien été envoyé").is_visible()
    assert page.get_by_text("Reçu, en vérification").first.is_visible()
    axe_check(page)
    assert FamilyDocument.objects.filter(family=family).count() == 1
    page.goto(f"{live_server.url}/mes-donnees/")
    axe_check(page)
