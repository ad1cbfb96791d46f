"""After logout, parents go to the town's site when the organisation says so (allauth's adapter)."""
from django.urls import reverse

from portal import caching
from portal.models import Organisation


def test_logout_goes_to_the_portal_home_by_default(parent_client):
    response = parent_client.post(reverse("account_logout"))
    assert response.status_code == 302 and response.url == "/"
    assert "_auth_user_id" not in parent_client.session


def test_logout_goes_to_the_towns_site_when_set(parent_client):
    organisation = Organisation.current()
    organisation.logout_redirect_url = "https://www.annonay.fr/enfance"
    organisation.save()
    caching.reset()
    response = parent_client.post(reverse("account_logout"))
    assert response.status_code == 302 and response.url == "https://www.annonay.fr/enfance"
    assert "_auth_user_id" not in parent_client.session
    # Logged out already, a second logout goes there too, without error.
    assert parent_client.post(reverse("account_logout")).url == "https://www.annonay.fr/enfance"


def test_logout_keeps_a_safe_next_address_over_the_setting(parent_client):
    organisation = Organisation.current()
    organisation.logout_redirect_url = "https://www.annonay.fr/"
    organisation.save()
    response = parent_client.post(reverse("account_logout"), {"next": "/actualites/"})
    assert response.url == "/actualites/"
    # An address of another site given by the request is never followed: the setting wins.
    assert parent_client.post(reverse("account_logout"), {"next": "https://evil.example/"}).url == "https://www.annonay.fr/"
