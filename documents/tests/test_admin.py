import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import ConsentVersion, DocumentType, FamilyDocument, RenewalCampaign, RenewalSubmission
from messaging.tests.factories import upload
from portal.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def test_admin_refuses_a_document_with_reason(staff_client, parent, staff_user):
    user, family = parent
    doc = services.document_upload(family=family, user=user, document_type=DocumentType.objects.create(name="RC"),
                                   uploaded=upload())
    url = reverse("admin:documents_familydocument_change", args=[doc.pk])
    assert staff_client.get(url).status_code == 200
    page = staff_client.post(url, {"status": "refused", "refusal_reason": "", "valid_until": ""}).content.decode()
    assert "Indiquez le motif du refus" in page
    response = staff_client.post(url, {"status": "refused", "refusal_reason": "Document illisible", "valid_until": ""})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == FamilyDocument.Status.REFUSED and doc.decided_by == staff_user
    assert AuditLog.objects.filter(family=family, action="document_refused").exists()


def test_admin_publishes_a_consent_version(staff_client, staff_user):
    url = reverse("admin:documents_consentversion_add")
    for text in ("Version 1", "Version 2"):
        response = staff_client.post(url, {"kind": "rules", "title": "Règlement intérieur", "text": text})
        assert response.status_code == 302
    assert list(ConsentVersion.objects.order_by("version").values_list("version", "text")) == [
        (1, "Version 1"), (2, "Version 2")]
    assert staff_client.get(reverse("admin:documents_consentacceptance_changelist")).status_code == 200


def test_admin_validates_a_submitted_renewal(staff_client, parent, staff_user):
    user, family = parent
    today = timezone.localdate()
    campaign = RenewalCampaign.objects.create(school_year="2026/2027", opens_on=today,
                                              deadline=today + datetime.timedelta(days=10))
    submission = services.renewal_get_or_create(family=family, campaign=campaign)
    for section in ("composition", "children", "contacts"):
        services.renewal_confirm_section(submission=submission, section=section)
    services.renewal_declare_quotient(submission=submission, quotient=Decimal("640"), benefit_number="42",
                                      proof=upload("caf.pdf"))
    services.renewal_submit(submission=submission, user=user)
    url = reverse("admin:documents_renewalsubmission_change", args=[submission.pk])
    assert "caf.pdf" in staff_client.get(url).content.decode()
    page = staff_client.post(url, {"staff_comment": "", "decision": "return"}).content.decode()
    assert "Indiquez à la famille ce qu&#x27;elle doit corriger" in page or "ce qu'elle doit corriger" in page
    response = staff_client.post(url, {"staff_comment": "Merci", "decision": "validate", "apply_quotient": "on"})
    assert response.status_code == 302
    submission.refresh_from_db()
    family.refresh_from_db()
    assert submission.status == RenewalSubmission.Status.VALIDATED and family.quotient == Decimal("640")
