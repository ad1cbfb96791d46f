"""Authentication backends: Django's (staff log in to the admin with their username) and allauth's (parents
log in with their e-mail), each loading the session's user with its guardian and family in one query.

``get_user`` is the documented hook a backend implements to load the user of a session; here it is the
stock one plus ``select_related``, so ``families.access.family_for_user`` costs no query of its own.
"""
from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class _UserWithFamily:
    def get_user(self, user_id):
        # At most one row: iterated as it is (``first()`` would add an ORDER BY to build and compile on every
        # request).
        users = get_user_model()._default_manager.select_related("guardian__family").filter(pk=user_id)
        user = next(iter(users), None)
        return user if user is not None and self.user_can_authenticate(user) else None


class StaffBackend(_UserWithFamily, ModelBackend):
    """Username and password (the admin's login form)."""


class ParentBackend(_UserWithFamily, AuthenticationBackend):
    """E-mail and password (allauth's login form)."""
