from django.urls import path

from . import local_provider, views

app_name = "identity"

urlpatterns = [
    path("franceconnect/", views.account, name="account"),
    path("franceconnect/delier/", views.unlink, name="unlink"),
    path("franceconnect/deconnecte/", views.franceconnect_logged_out, name="franceconnect_logged_out"),
    path("ma-demande/", views.registration, name="registration"),
    path("ma-demande/message/", views.registration_message, name="registration_message"),
]

# The local provider: every view answers 404 unless FRANCECONNECT_LOCAL_PROVIDER is on (development and tests;
# identity/checks.py refuses it in production). Read per request, not when this module is imported.
urlpatterns += [
    path("fc-local/", local_provider.root, name="local_oidc_root"),
    path("fc-local/.well-known/openid-configuration", local_provider.discovery, name="local_oidc_discovery"),
    path("fc-local/jwks", local_provider.jwks, name="local_oidc_jwks"),
    path("fc-local/authorize", local_provider.authorize, name="local_oidc_authorize"),
    path("fc-local/token", local_provider.token, name="local_oidc_token"),
    path("fc-local/userinfo", local_provider.userinfo, name="local_oidc_userinfo"),
    path("fc-local/session/end", local_provider.end_session, name="local_oidc_end_session"),
]
