import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

STAFF_PAGES = ("enrolment_staff:attendance", "enrolment_staff:occupancy", "messaging_staff:inbox")


def test_admin_home_links_the_staff_pages(client, staff_user):
    client.force_login(staff_user)
    body = client.get("/admin/").content.decode()
    for name in STAFF_PAGES:
        assert f'href="{reverse(name)}"' in body
        assert reverse(name).startswith("/personnel/")
        assert client.get(reverse(name)).status_code == 200


def test_staff_pages_refuse_parents(parent_client):
    for page in STAFF_PAGES:
        response = parent_client.get(reverse(page))
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), page
