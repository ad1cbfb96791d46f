import datetime
from decimal import Decimal

import pytest
from dateutil.relativedelta import relativedelta
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from documents import selectors, services
from documents.models import ConsentVersion, DocumentType, FamilyDocument, RenewalCampaign, RenewalSubmission
from documents.tasks import renewal_reminders
from families.completeness import family_file_complete
from messaging.tests.factories import pdf_bytes, png_bytes, upload
from portal.errors import FamilyError
from portal.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def types():
    return {
        "domicile": DocumentType.objects.create(name="Justificatif de domicile", validity_months=3, order=1),
        "assurance": DocumentType.objects.create(name="Attestation d'assurance", validity_months=12, order=2),
        "vaccins": DocumentType.objects.create(name="Copie des vaccins", is_required=False, order=3),
    }


def test_family_uploads_a_document_and_sees_its_status(parent_client, parent, types):
    user, family = parent
    page = parent_client.get(reverse("documents:index")).content.decode()
    assert "Justificatif de domicile" in page and "! Manquant" in page
    response = parent_client.post(reverse("documents:index"),
                                  {"document_type": types["domicile"].pk, "file": upload("edf.pdf")})
    assert response.status_code == 302
    doc = FamilyDocument.objects.get(family=family)
    assert doc.status == FamilyDocument.Status.RECEIVED and doc.uploaded_by == user
    assert doc.valid_until == timezone.localdate() + relativedelta(months=3)
    page = parent_client.get(reverse("documents:index")).content.decode()
    assert "Reçu, en vérification" in page
    assert [r["type"] for r in selectors.documents_to_provide(family=family)] == [types["assurance"]]


def test_upload_refuses_bad_files_in_french(parent_client, parent, types):
    exe = b"MZ\x90\x00" + b"\x00" * 100
    body = parent_client.post(reverse("documents:index"),
                              {"document_type": types["domicile"].pk, "file": upload("a.pdf", exe)}).content.decode()
    assert "seuls les fichiers PDF, JPEG et PNG sont acceptés" in body
    big = png_bytes() + b"0" * (7 * 1024 * 1024)
    body = parent_client.post(reverse("documents:index"),
                              {"document_type": types["domicile"].pk, "file": upload("b.png", big, "image/png")}
                              ).content.decode()
    assert "6 Mo" in body
    assert not FamilyDocument.objects.exists()


def test_staff_accept_refuse_expire_with_audit_and_email(parent, staff_user, types, django_capture_on_commit_callbacks):
    user, family = parent
    doc = services.document_upload(family=family, user=user, document_type=types["assurance"], uploaded=upload())
    with pytest.raises(FamilyError, match="motif"):
        services.document_decide(document=doc, staff_user=staff_user, status="refused")
    with django_capture_on_commit_callbacks(execute=True):
        services.document_decide(document=doc, staff_user=staff_user, status="refused", reason="Illisible")
    assert "Illisible" in mail.outbox[0].body and mail.outbox[0].to == [user.guardian.email]
    assert [r["state"] for r in selectors.documents_status(family=family) if r["type"] == types["assurance"]] == ["refused"]
    entry = AuditLog.objects.get(family=family, action="document_refused")
    assert entry.actor == staff_user and entry.new_values["refusal_reason"] == "Illisible"
    doc2 = services.document_upload(family=family, user=user, document_type=types["assurance"], uploaded=upload())
    services.document_decide(document=doc2, staff_user=staff_user, status="accepted",
                             valid_until=datetime.date(2020, 1, 1))
    row = next(r for r in selectors.documents_status(family=family) if r["type"] == types["assurance"])
    assert row["state"] == "expired" and row["needs_action"]


def test_document_file_isolation(client, parent, other_family, staff_user, types):
    user, family = parent
    doc = services.document_upload(family=family, user=user, document_type=types["domicile"], uploaded=upload())
    url = reverse("documents:file", args=[doc.pk])
    assert client.get(url).status_code == 404
    client.force_login(other_family[0])
    assert client.get(url).status_code == 404
    client.force_login(user)
    assert client.get(url).status_code == 200
    client.force_login(staff_user)  # staff open it from the admin, on the staff page (test_staff.py)
    assert client.get(url).status_code == 404


def test_consent_asked_again_after_new_version(client, parent, staff_user):
    user, family = parent
    v1 = services.consent_publish(kind="rules", title="Règlement intérieur", text="Article 1…", staff_user=staff_user)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302 and response.url.startswith(reverse("documents:consents"))
    page = client.get(response.url).content.decode()
    assert "Règlement intérieur" in page and "Article 1…" in page
    # Refusing a required text is not possible.
    page = client.post(reverse("documents:consents"), {"next": "/"}).content.decode()
    assert "Vous devez accepter ce texte pour continuer." in page
    response = client.post(reverse("documents:consents"), {f"consent_{v1.pk}": "on", "next": "/"})
    assert response.status_code == 302 and response.url == "/"
    assert client.get("/").status_code == 200
    # Staff publish a new version and an image-rights text: asked again at the next visit.
    v2 = services.consent_publish(kind="rules", title="Règlement intérieur", text="Article 1 modifié",
                                  staff_user=staff_user)
    image = services.consent_publish(kind="image", title="Droit à l'image", text="Photos", staff_user=staff_user)
    assert client.get("/messagerie/").status_code == 200  # asked at the next login, not in the middle of a visit
    client.logout()
    client.force_login(user)
    response = client.get("/messagerie/")
    assert response.status_code == 302 and "consentements" in response.url
    client.post(reverse("documents:consents"), {f"consent_{v2.pk}": "on", f"consent_{image.pk}": "0"})
    assert client.get("/messagerie/").status_code == 200
    answers = {(a.version.version, a.version.kind): a.accepted for a in selectors.consent_history(family=family)}
    assert answers == {(1, "rules"): True, (2, "rules"): True, (1, "image"): False}
    assert ConsentVersion.objects.get(pk=v2.pk).acceptances.get().guardian == user.guardian


def test_staff_not_redirected_by_consents(client, staff_user):
    services.consent_publish(kind="rules", title="Règlement", text="…", staff_user=staff_user)
    client.force_login(staff_user)
    assert client.get(reverse("messaging_staff:inbox")).status_code == 200


@pytest.fixture
def campaign():
    today = timezone.localdate()
    return RenewalCampaign.objects.create(school_year="2026/2027", opens_on=today - datetime.timedelta(days=1),
                                          deadline=today + datetime.timedelta(days=30), reminder_every_days=7)


def test_renewal_from_opening_to_validation(parent_client, parent, staff_user, campaign, types,
                                            django_capture_on_commit_callbacks):
    user, family = parent
    url = reverse("documents:renewal")
    page = parent_client.get(url).content.decode()
    assert "Actualisation du dossier – rentrée 2026/2027" in page and "À compléter" in page
    # Submitting too early lists what is missing.
    parent_client.post(url, {"action": "submit"})
    submission = RenewalSubmission.objects.get(family=family, campaign=campaign)
    assert submission.status == RenewalSubmission.Status.DRAFT
    for section in ("composition", "children", "contacts"):
        parent_client.post(url, {"action": f"confirm:{section}"})
    response = parent_client.post(url, {"action": "quotient", "qf-declared_quotient": "712.50",
                                        "qf-quotient_benefit_number": "7654321",
                                        "qf-quotient_proof": upload("caf.pdf")})
    assert response.status_code == 302
    for doc_type in (types["domicile"], types["assurance"]):
        services.document_upload(family=family, user=user, document_type=doc_type, uploaded=upload())
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.post(url, {"action": "submit", "envoi-family_comment": "Nouvelle adresse e-mail"})
    submission.refresh_from_db()
    assert submission.status == RenewalSubmission.Status.SUBMITTED, parent_client.get(url).content.decode()
    assert "bien reçue" in mail.outbox[-1].subject
    # Staff return it with a comment, the family corrects and sends again, staff validate.
    with pytest.raises(FamilyError):
        services.renewal_decide(submission=submission, staff_user=staff_user, validate=False)
    services.renewal_decide(submission=submission, staff_user=staff_user, validate=False, comment="Attestation floue")
    page = parent_client.get(url).content.decode()
    assert "Attestation floue" in page and "À corriger" in page
    parent_client.post(url, {"action": "submit"})
    submission.refresh_from_db()
    assert submission.status == RenewalSubmission.Status.SUBMITTED
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.renewal_decide(submission=submission, staff_user=staff_user, validate=True)
    submission.refresh_from_db()
    family.refresh_from_db()
    assert submission.status == RenewalSubmission.Status.VALIDATED
    assert family.quotient == Decimal("712.50") and family.benefit_number == "7654321"
    assert family.quotient_valid_until == datetime.date(2027, 8, 31)
    assert "actualisé" in mail.outbox[0].subject
    actions = set(AuditLog.objects.filter(family=family).values_list("action", flat=True))
    assert {"renewal_returned", "renewal_validated", "quotient_update"} <= actions
    assert selectors.renewal_validated(family=family, school_year="2026/2027")
    # A validated renewal cannot be changed by the family any more.
    parent_client.post(url, {"action": "confirm:contacts"})
    submission.refresh_from_db()
    assert submission.status == RenewalSubmission.Status.VALIDATED


def test_renewal_reminders_are_idempotent(parent, campaign, django_capture_on_commit_callbacks):
    user, family = parent
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        services.renewal_send_reminders(now=now)
        services.renewal_send_reminders(now=now + datetime.timedelta(hours=2))
        renewal_reminders(now=now + datetime.timedelta(days=1))
    assert [m.to for m in mail.outbox] == [[user.guardian.email]]
    assert "Rappel" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        services.renewal_send_reminders(now=now + datetime.timedelta(days=7))
    assert len(mail.outbox) == 2
    submission = RenewalSubmission.objects.get(family=family)
    submission.status = RenewalSubmission.Status.SUBMITTED
    submission.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.renewal_send_reminders(now=now + datetime.timedelta(days=14))
    assert len(mail.outbox) == 2


def test_renewal_proof_isolation(client, parent, other_family, campaign):
    user, family = parent
    submission = services.renewal_get_or_create(family=family, campaign=campaign)
    services.renewal_declare_quotient(submission=submission, quotient=Decimal("500"), benefit_number="1",
                                      proof=upload("caf.pdf", pdf_bytes()))
    url = reverse("documents:renewal_proof", args=[submission.pk])
    assert client.get(url).status_code == 404
    other = Client()
    other.force_login(other_family[0])
    assert other.get(url).status_code == 404
    client.force_login(user)
    assert client.get(url).status_code == 200


def test_family_file_complete(parent, staff_user, types):
    """The documents' check, as families.completeness (what enrolment asks) answers it."""
    user, family = parent
    assert not selectors.family_file_complete(family=family)
    assert not family_file_complete(family=family)
    for doc_type in (types["domicile"], types["assurance"]):
        services.document_upload(family=family, user=user, document_type=doc_type, uploaded=upload())
    assert selectors.family_file_complete(family=family) and family_file_complete(family=family)
    version = services.consent_publish(kind="health", title="Données de santé", text="…", staff_user=staff_user)
    assert not family_file_complete(family=family)
    services.consent_answer(guardian=user.guardian, answers={version: True})
    assert selectors.family_file_complete(family=family) and family_file_complete(family=family)


def test_documents_and_renewal_pages_query_count_is_bounded(client, parent, campaign, django_assert_max_num_queries):
    user, family = parent
    client.force_login(user)
    client.get("/")  # creates the Organisation row once
    client.get(reverse("documents:renewal"))  # creates the family's draft renewal once

    def measure(url):
        with django_assert_max_num_queries(12) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    doc_type = DocumentType.objects.create(name="Pièce 0")
    services.document_upload(family=family, user=user, document_type=doc_type, uploaded=upload())
    few = [measure(reverse("documents:index")), measure(reverse("documents:renewal"))]
    for i in range(1, 15):
        doc_type = DocumentType.objects.create(name=f"Pièce {i}")
        for _ in range(2):
            services.document_upload(family=family, user=user, document_type=doc_type, uploaded=upload())
    assert [measure(reverse("documents:index")), measure(reverse("documents:renewal"))] == few
