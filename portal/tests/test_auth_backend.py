import pytest
from django.contrib.auth import get_user_model

from families.models import Guardian
from portal.auth import PortalBackend

pytestmark = pytest.mark.django_db


def test_session_user_comes_with_guardian_and_family_in_one_query(parent, django_assert_num_queries):
    user, family = parent
    with django_assert_num_queries(1):
        loaded = PortalBackend().get_user(str(user.pk))
        assert loaded == user and loaded.guardian.family == family
        assert loaded.guardian.user is loaded and loaded.email == user.email
        assert loaded.date_joined == user.date_joined and loaded.is_active is True
    assert loaded.guardian.family.number == family.number


def test_staff_without_guardian_unknown_inactive_and_tampered_ids(staff_user, parent, django_assert_num_queries):
    with django_assert_num_queries(1):
        staff = PortalBackend().get_user(staff_user.pk)
        assert staff == staff_user
        with pytest.raises(Guardian.DoesNotExist):
            staff.guardian  # noqa: B018 (cached "none": no second query)
    assert PortalBackend().get_user(999_999) is None
    assert PortalBackend().get_user("not-a-number") is None
    user = parent[0]
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert PortalBackend().get_user(user.pk) is None
