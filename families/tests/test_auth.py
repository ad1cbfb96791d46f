"""The session's user comes with its guardian and family in one query (families.auth)."""
import pytest
from django.contrib.auth import get_user_model

from families.auth import ParentBackend, StaffBackend
from families.models import Guardian
from families.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("backend", [ParentBackend, StaffBackend])
def test_a_parent_comes_with_guardian_and_family_in_one_query(backend, parent, django_assert_num_queries):
    user, family = parent
    with django_assert_num_queries(1):
        loaded = backend().get_user(user.pk)
        assert loaded == user and loaded.guardian.family == family


def test_staff_without_guardian_inactive_and_unknown_users(staff_user, parent, django_assert_num_queries):
    with django_assert_num_queries(1):
        staff = StaffBackend().get_user(staff_user.pk)
        assert staff == staff_user
        with pytest.raises(Guardian.DoesNotExist):
            staff.guardian  # noqa: B018 (known absent: no second query)
    assert ParentBackend().get_user(999_999) is None
    user = parent[0]
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert ParentBackend().get_user(user.pk) is None


def test_parents_log_in_with_their_email_and_staff_with_their_username(client, parent, staff_user):
    user, _ = parent
    response = client.post("/compte/login/", {"login": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and client.session["_auth_user_backend"] == "families.auth.ParentBackend"
    client.logout()
    response = client.post("/admin/login/", {"username": staff_user.username, "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 302 and client.session["_auth_user_backend"] == "families.auth.StaffBackend"
