"""Accounts: invitations, login by e-mail, reset and change of password, throttling, staff/parent separation."""
import datetime
import re
from urllib.parse import urlparse

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from families import services
from families.models import Invitation
from families.tests.factories import PASSWORD, FamilyFactory, GuardianFactory, StaffFactory, parent_with_family
from portal.errors import FamilyError
from portal.models import AuditLog, OutboundEmail

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Vxz-Plouf-93"


def _link(message, pattern=r"https?://[^\s\"<]+/famille/invitation/[^\s\"<]+/"):
    match = re.search(pattern, message.body)
    assert match, message.body
    return urlparse(match.group(0)).path


def _invite(guardian, by, capture, **kwargs):
    with capture(execute=True):
        return services.invitation_send(guardian=guardian, by=by, **kwargs)


@pytest.fixture
def invited(db):
    family = FamilyFactory(name="DURAND")
    return GuardianFactory(family=family, first_name="Paul", email="Paul.Durand@Example.org", user=None)


def test_invitation_end_to_end(client, invited, staff_user, django_capture_on_commit_callbacks, mailoutbox):
    invitation = _invite(invited, staff_user, django_capture_on_commit_callbacks)

    invited.refresh_from_db()
    user = invited.user
    assert user.username == user.email == "paul.durand@example.org"
    assert invited.email == "paul.durand@example.org"
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["paul.durand@example.org"]
    assert "Votre accès au Portail Familles" in message.subject
    path = _link(message)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    assert invitation.token_hash != token and len(invitation.token_hash) == 64
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert OutboundEmail.objects.get(template="invitation").status == OutboundEmail.Status.SENT
    assert AuditLog.objects.filter(action="invitation.send", actor=staff_user, family=invited.family).exists()

    page = client.get(path)
    assert page.status_code == 200
    assert "Bienvenue Paul DURAND" in page.content.decode()

    weak = client.post(path, {"new_password1": "durand", "new_password2": "durand"})
    assert weak.status_code == 200
    body = weak.content.decode()
    assert "trop court" in body and "majuscule" in body

    done = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == "/"
    home = client.get("/famille/")
    assert invited.family.number in home.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert NEW_PASSWORD not in message.body
    assert Invitation.objects.get().used_at is not None

    again = client.get(path)
    assert again.status_code == 410
    assert "déjà été utilisé" in again.content.decode()
    reuse = client.post(path, {"new_password1": "Autre-Mot-77", "new_password2": "Autre-Mot-77"})
    assert reuse.status_code == 410
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_expired_invitation_shows_a_clear_page(client, invited, django_capture_on_commit_callbacks, mailoutbox):
    _invite(invited, None, django_capture_on_commit_callbacks, now=timezone.now() - datetime.timedelta(days=15))
    path = _link(mailoutbox[0])
    response = client.get(path)
    assert response.status_code == 410
    assert "a expiré" in response.content.decode()
    posted = client.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert posted.status_code == 410
    invited.refresh_from_db()
    assert not invited.user.has_usable_password()


def test_resending_invalidates_the_previous_link(client, invited, django_capture_on_commit_callbacks, mailoutbox):
    _invite(invited, None, django_capture_on_commit_callbacks)
    _invite(invited, None, django_capture_on_commit_callbacks)
    first, second = _link(mailoutbox[0]), _link(mailoutbox[1])
    assert first != second
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    assert User.objects.filter(email="paul.durand@example.org").count() == 1


def test_unknown_invitation_token_is_404(client, db):
    response = client.get("/famille/invitation/nimporte-quoi/")
    assert response.status_code == 404
    assert "inconnu" in response.content.decode()


def test_invitation_needs_an_email(invited):
    invited.email = ""
    invited.save()
    with pytest.raises(FamilyError, match="pas d'adresse e-mail"):
        services.invitation_send(guardian=invited)
    assert not Invitation.objects.exists()


def test_invitation_refuses_an_email_used_by_another_login(invited):
    other_user, _ = parent_with_family(email="paul.durand@example.org")
    with pytest.raises(FamilyError, match="déjà utilisée"):
        services.invitation_send(guardian=invited)
    invited.refresh_from_db()
    assert invited.user is None


def test_each_separated_parent_gets_a_login(invited, django_capture_on_commit_callbacks, mailoutbox):
    second = GuardianFactory(family=invited.family, rank=2, civility="M.", first_name="Marc", email="marc@example.org", user=None)
    _invite(invited, None, django_capture_on_commit_callbacks)
    _invite(second, None, django_capture_on_commit_callbacks)
    invited.refresh_from_db()
    second.refresh_from_db()
    assert invited.user and second.user and invited.user != second.user
    assert sorted(m.to[0] for m in mailoutbox) == ["marc@example.org", "paul.durand@example.org"]


def test_login_by_email_in_any_case(client, db):
    user, family = parent_with_family(email="claire.test@example.org")
    response = client.post("/compte/login/", {"login": "CLAIRE.Test@Example.ORG", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    assert family.number in client.get("/famille/").content.decode()


def test_wrong_password_gives_a_french_message(client, parent):
    user, _ = parent
    response = client.post("/compte/login/", {"login": user.email, "password": "Mauvais-1"})
    assert response.status_code == 200
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in response.content.decode()


def test_sixth_failed_login_is_refused_even_with_the_right_password(client, parent):
    user, _ = parent
    for _ in range(5):
        response = client.post("/compte/login/", {"login": user.email, "password": "Mauvais-Mot-1"})
        assert response.status_code == 200
    response = client.post("/compte/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "Trop de tentatives de connexion" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_page_is_french_with_forgotten_password_link(client, db):
    body = client.get("/compte/login/").content.decode()
    assert "Mot de passe oublié ?" in body and 'href="/compte/password/reset/"' in body
    assert "Courriel" in body and "Connexion" in body


def test_password_reset_end_to_end(client, parent, django_capture_on_commit_callbacks, mailoutbox):
    user, _ = parent
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/compte/password/reset/", {"email": user.email.upper()})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [user.email]
    assert "Réinitialisation de votre mot de passe" in message.subject
    assert OutboundEmail.objects.get(to=user.email).status == OutboundEmail.Status.SENT
    path = _link(message, r"https?://[^\s]+/compte/password/reset/key/[^\s]+/")
    step = client.get(path)
    assert step.status_code == 302
    form_page = client.get(step.url)
    assert form_page.status_code == 200
    weak = client.post(step.url, {"password1": "abc", "password2": "abc"})
    assert "trop court" in weak.content.decode()
    done = client.post(step.url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert NEW_PASSWORD not in message.body
    # The link works once.
    assert "invalide" in client.get(path, follow=True).content.decode().lower()


def test_reset_for_an_unknown_address_sends_nothing(client, db, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/compte/password/reset/", {"email": "personne@example.org"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_change_password(parent_client, parent):
    user, _ = parent
    bad = parent_client.post("/compte/password/change/", {"oldpassword": PASSWORD, "password1": "motdepasse1", "password2": "motdepasse1"})
    assert "majuscule" in bad.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    ok = parent_client.post("/compte/password/change/", {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert ok.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_staff_login_goes_to_the_admin(client, db):
    staff = StaffFactory(email="agent@mairie.example.org")
    response = client.post("/compte/login/", {"login": "Agent@Mairie.example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/admin/"
    assert staff.is_staff


@pytest.mark.parametrize("url", ["/famille/", "/famille/enfants/", "/famille/demandes/", "/famille/modifier/foyer/"])
def test_staff_without_guardian_cannot_reach_parent_pages(client, staff_user, url):
    client.force_login(staff_user)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("url", ["/admin/", "/admin/families/family/", "/admin/families/changerequest/"])
def test_parents_cannot_reach_the_admin(parent_client, url):
    response = parent_client.get(url)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_anonymous_goes_to_login(client, db):
    response = client.get("/famille/")
    assert response.status_code == 302 and response.url.startswith("/compte/login/")
