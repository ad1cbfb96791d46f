"""The one authentication backend: allauth's login by e-mail (and Django's by username, for staff in
the admin), and a user load that brings the parent's guardian and family along, so a parent's request
costs one query for who they are instead of three."""
from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class PortalBackend(AuthenticationBackend):
    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is None and credentials.get("username"):
            user = ModelBackend.authenticate(
                self, request, username=credentials["username"], password=credentials.get("password")
            )
        return user

    def get_user(self, user_id):
        model = get_user_model()
        try:
            # Reverse one-to-one: a staff user without a guardian gets a cached "none", not a second query.
            user = model._default_manager.select_related("guardian__family").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
