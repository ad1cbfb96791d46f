"""Staff pages of the documents area (/personnel/documents/) and what moved with the app."""
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import DocumentType, FamilyDocument, RenewalCampaign
from messaging.tests.factories import pdf_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(parent):
    user, family = parent
    return services.document_upload(family=family, user=user, document_type=DocumentType.objects.create(name="RC"),
                                    uploaded=upload("rc.pdf", pdf_bytes()))


@pytest.fixture
def submission(parent):
    user, family = parent
    today = timezone.localdate()
    campaign = RenewalCampaign.objects.create(school_year="2026/2027", opens_on=today, deadline=today)
    submission = services.renewal_get_or_create(family=family, campaign=campaign)
    return services.renewal_declare_quotient(submission=submission, quotient=Decimal("500"), benefit_number="1",
                                             proof=upload("caf.pdf", pdf_bytes()))


def test_staff_open_any_family_file_from_the_admin(client, staff_user, document, submission):
    client.force_login(staff_user)
    admin_page = client.get(reverse("admin:documents_familydocument_change", args=[document.pk])).content.decode()
    file_url = reverse("documents_staff:file", args=[document.pk])
    assert file_url.startswith("/personnel/documents/") and f'href="{file_url}"' in admin_page
    assert client.get(file_url).status_code == 200
    admin_page = client.get(reverse("admin:documents_renewalsubmission_change", args=[submission.pk])).content.decode()
    proof_url = reverse("documents_staff:renewal_proof", args=[submission.pk])
    assert f'href="{proof_url}"' in admin_page
    response = client.get(proof_url)
    assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
    assert client.get(reverse("documents_staff:file", args=[document.pk + 1000])).status_code == 404


def test_staff_pages_refuse_parents_and_visitors(client, parent, document, submission):
    urls = [reverse("documents_staff:file", args=[document.pk]),
            reverse("documents_staff:renewal_proof", args=[submission.pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))
    client.force_login(parent[0])  # even the family's own file: parents use /dossier/
    for url in urls:
        assert client.get(url).status_code == 302


def test_content_types_follow_the_moved_models(staff_user):
    """documents.0001 relabels the families content types of the moved models (permissions and admin
    history follow); a row already under documents is left alone."""
    migration = importlib.import_module("documents.migrations.0001_initial")
    ContentType.objects.filter(app_label="documents", model="familydocument").delete()  # as before the move
    old = ContentType.objects.create(app_label="families", model="familydocument")
    permission = Permission.objects.create(content_type=old, codename="check_familydocument", name="Vérifier")
    staff_user.user_permissions.add(permission)
    kept = ContentType.objects.create(app_label="families", model="documenttype")  # documents.documenttype exists
    try:
        migration.content_types_forward(apps, None)
        old.refresh_from_db()
        kept.refresh_from_db()
        assert (old.app_label, kept.app_label) == ("documents", "families")
        ContentType.objects.clear_cache()
        assert ContentType.objects.get_for_model(FamilyDocument) == old
        assert staff_user.user_permissions.get().content_type == old
        kept.delete()
        migration.content_types_backward(apps, None)
        old.refresh_from_db()
        assert old.app_label == "families"
    finally:
        ContentType.objects.clear_cache()
