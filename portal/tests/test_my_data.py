import io
import json
import zipfile

import pytest
from django.urls import reverse

from documents.models import DocumentType
from documents.services import document_decide, document_upload
from messaging import services as messaging
from messaging.models import Service
from messaging.tests.factories import upload
from portal.models import AuditLog

pytestmark = pytest.mark.django_db


def test_archive_holds_every_section_as_json_and_html(parent_client, parent, staff_user):
    user, family = parent
    child = family.children.get()
    child.health.allergies = "Arachides et kiwi"
    child.health.save()
    service, _ = Service.objects.get_or_create(name="Scolarité")
    messaging.thread_start_by_family(family=family, guardian=user.guardian, user=user, service=service,
                                     theme="information", subject="Question cantine", body="Menu sans porc ?",
                                     files=[upload("certificat.pdf")])
    doc_type = DocumentType.objects.create(name="Attestation d'assurance")
    doc = document_upload(family=family, user=user, document_type=doc_type, uploaded=upload("assurance.pdf"))
    document_decide(document=doc, staff_user=staff_user, status="refused", reason="Périmée")
    response = parent_client.get(reverse("my_data_archive"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert family.number in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["donnees.json", "resume.html"]
    data = json.loads(archive.read("donnees.json"))
    sections = data["rubriques"]
    assert {"dossier_famille", "enfants", "messagerie", "documents", "consentements", "actualisations", "journal",
            "inscriptions", "reservations", "factures", "paiements"} <= set(sections)
    assert sections["dossier_famille"]["numero"] == family.number
    assert sections["enfants"][0]["fiche_sanitaire"]["allergies"] == "Arachides et kiwi"
    assert sections["messagerie"][0]["messages"][0]["pieces_jointes"] == ["certificat.pdf"]
    assert sections["documents"][0]["motif_refus"] == "Périmée"
    assert sections["journal"][0]["auteur"] == staff_user.email
    html = archive.read("resume.html").decode()
    assert "Arachides et kiwi" in html and "Question cantine" in html and "Périmée" in html
    assert '<th scope="col">' in html


def test_my_data_page_shows_staff_audit_of_the_family_only(parent_client, parent, other_family, staff_user):
    user, family = parent
    AuditLog.objects.create(actor=staff_user, family=family, action="x", summary="Adresse modifiée par le service")
    AuditLog.objects.create(actor=staff_user, family=other_family[1], action="x", summary="Autre famille")
    page = parent_client.get(reverse("my_data")).content.decode()
    assert "Adresse modifiée par le service" in page and "Autre famille" not in page
    assert f"Service – {staff_user.email}" in page


def test_my_data_requires_a_parent(client, staff_user):
    assert client.get(reverse("my_data_archive")).status_code == 302
    client.force_login(staff_user)
    assert client.get(reverse("my_data_archive")).status_code == 404
