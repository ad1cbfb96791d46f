import datetime

import pytest
from django.utils import timezone

from documents.models import DocumentType, RenewalCampaign
from documents.services import document_upload
from families.tests.factories import StaffFactory, parent_with_family
from messaging import services as messaging
from messaging.models import Service
from messaging.tests.factories import upload
from news.models import NewsPost

pytestmark = pytest.mark.django_db


def test_welcome_page_for_anonymous(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Se connecter" in response.content.decode()


def test_dashboard_greets_parent_with_family_number(parent_client, parent):
    user, family = parent
    response = parent_client.get("/")
    body = response.content.decode()
    assert family.number in body
    assert user.guardian.first_name in body


# Measured: 9 queries for a family with 2 children (user with guardian and family, the family counters,
# children, documents, renewal submission, news, the enrolment block and billing's three). The count must
# not grow with the family's history.
HOME_MAX_QUERIES = 10


def test_dashboard_query_count_is_bounded(client, django_assert_max_num_queries):
    user, family = parent_with_family(children=2)
    client.force_login(user)
    client.get("/")  # first visit: the consent check is remembered in the session

    def measure():
        client.get("/")  # fills the configuration cache (document types, campaigns) the history just dropped
        with django_assert_max_num_queries(HOME_MAX_QUERIES) as ctx:
            assert client.get("/").status_code == 200
        return len(ctx.captured_queries)

    staff = StaffFactory()
    service, _ = Service.objects.get_or_create(name="Scolarité")
    today = timezone.localdate()
    RenewalCampaign.objects.create(school_year="2026/2027", opens_on=today, deadline=today + datetime.timedelta(days=9))

    def add_history(start, count):
        for i in range(start, start + count):
            messaging.thread_start_by_staff(family=family, staff_user=staff, service=service, theme="information",
                                            subject=f"Info {i}", body="x")
            NewsPost.objects.create(title=f"Actu {i}", body="Texte")
            doc_type = DocumentType.objects.create(name=f"Pièce {i}")
            document_upload(family=family, user=user, document_type=doc_type, uploaded=upload())

    add_history(0, 1)
    few = measure()
    add_history(1, 11)
    assert measure() == few
    body = client.get("/").content.decode()
    assert "Vous avez 12 messages non lus" in body and "Actu 11" in body and "2026/2027" in body


def test_unknown_page_is_a_french_404(client):
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
