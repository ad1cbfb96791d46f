import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_admin_home_links_the_staff_pages(client, staff_user):
    client.force_login(staff_user)
    body = client.get("/admin/").content.decode()
    for name in ("enrolment:attendance", "enrolment:occupancy", "messaging:staff_inbox"):
        assert f'href="{reverse(name)}"' in body
    for page in ("enrolment:attendance", "enrolment:occupancy", "messaging:staff_inbox"):
        assert client.get(reverse(page)).status_code == 200


def test_staff_pages_refuse_parents(parent_client):
    for page in ("enrolment:attendance", "enrolment:occupancy", "messaging:staff_inbox"):
        response = parent_client.get(reverse(page))
        assert response.status_code in (302, 403, 404)
        assert response.status_code != 200
