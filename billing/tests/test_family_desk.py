"""The staff family page (families.staff_desk, sections from billing, enrolment, messaging, documents) and the
inbox's family search."""
import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.services.payments import payment_record
from messaging.services import thread_start_by_staff
from messaging.tests.factories import ServiceFactory

from .factories import book, invoice_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def _fill(march, issued, staff_user, *, many):
    """Some of everything the page shows; ``many`` adds dozens of rows of each kind."""
    today = timezone.localdate()
    family = march.family
    service = ServiceFactory()
    payment_record(family=family, regie=issued.regie, mode="cheque", amount=D("10.00"), received_on=today,
                   invoices=[issued], by=staff_user)
    thread_start_by_staff(family=family, staff_user=staff_user, service=service, theme="information",
                          subject="Votre facture de mars", body="Bonjour")
    book(march.child, march.day_unit, march.enrolment, today + datetime.timedelta(days=2))
    if many:
        for n in range(2, 40):
            invoice_make(regie=issued.regie, family=family, number=100 + n, total="12.00", issued_on=datetime.date(2026, 5, 1))
            thread_start_by_staff(family=family, staff_user=staff_user, service=service, theme="information",
                                  subject=f"Message {n}", body="Bonjour")
        for n in range(3, 28):
            book(march.child, march.day_unit, march.enrolment, today + datetime.timedelta(days=n))
            payment_record(family=family, regie=issued.regie, mode="cash", amount=D("1.00"), received_on=today,
                           invoices=[], by=staff_user)


def test_family_page_shows_the_balance_and_every_section(staff_client, march, issued, staff_user):
    _fill(march, issued, staff_user, many=False)
    response = staff_client.get(reverse("families_staff:family", args=[march.family.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Solde du compte : <strong>35,20 €</strong>" in page  # 45,20 invoiced − 10,00 paid
    assert issued.number in page and reverse("admin:billing_invoice_change", args=[issued.pk]) in page
    assert "Votre facture de mars" in page and "Chèque" in page
    assert march.activity.name in page and "Réservé" in page
    assert reverse("admin:families_family_change", args=[march.family.pk]) in page


@pytest.mark.parametrize("many", [False, True])
def test_family_page_query_count_does_not_grow(staff_client, march, issued, staff_user, django_assert_max_num_queries, many):
    _fill(march, issued, staff_user, many=many)
    with django_assert_max_num_queries(16):
        response = staff_client.get(reverse("families_staff:family", args=[march.family.pk]))
    assert response.status_code == 200


def test_family_page_is_staff_only_and_404_for_an_unknown_family(client, parent, march):
    client.force_login(parent[0])
    url = reverse("families_staff:family", args=[march.family.pk])
    assert client.get(url).status_code == 302  # to the admin login
    client.logout()
    assert client.get(url).status_code == 302


def test_unknown_family_is_404(staff_client):
    assert staff_client.get(reverse("families_staff:family", args=[999999])).status_code == 404


def test_family_admin_links_to_the_family_page(staff_client, march):
    page = staff_client.get(reverse("admin:families_family_change", args=[march.family.pk])).content.decode()
    assert reverse("families_staff:family", args=[march.family.pk]) in page


def test_inbox_searches_by_family_number_or_name(staff_client, march, other_family, staff_user):
    service = ServiceFactory()
    family, other = march.family, other_family[1]
    thread_start_by_staff(family=family, staff_user=staff_user, service=service, theme="information", subject="Sujet A", body="x")
    thread_start_by_staff(family=other, staff_user=staff_user, service=service, theme="information", subject="Sujet B", body="x")
    url = reverse("messaging_staff:inbox")
    by_number = staff_client.get(url, {"famille": family.number}).content.decode()
    assert "Sujet A" in by_number and "Sujet B" not in by_number
    by_name = staff_client.get(url, {"famille": other.name[:4].lower()}).content.decode()
    assert "Sujet B" in by_name
    assert "Sujet A" in staff_client.get(url).content.decode()
