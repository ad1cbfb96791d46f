"""Linking FranceConnect to an account opened the usual way: the identity is compared with the guardian's file."""
import html

from allauth.socialaccount.models import SocialAccount

from identity.models import IdentitySettings, PendingLink


def _text(response):
    return html.unescape(response.text)


def test_a_matching_identity_is_linked_and_both_logins_work(fc_browser, claire):
    fc_browser.login_with_password(claire.user.email)
    page = fc_browser.finish(fc_browser.choose(fc_browser.start(process="connect")))
    assert "FranceConnect est lié à votre compte" in _text(page)
    assert SocialAccount.objects.filter(user=claire.user, provider="franceconnect", uid="demo-claire-martin").exists()
    fc_browser.http.post(f"{fc_browser.base}/compte/logout/", data={"csrfmiddlewaretoken": fc_browser.csrf()})
    assert fc_browser.user_id() is None
    fc_browser.finish(fc_browser.choose(fc_browser.start()))
    assert fc_browser.user_id() == str(claire.user.pk)
    fc_browser.http.post(f"{fc_browser.base}/compte/logout/", data={"csrfmiddlewaretoken": fc_browser.csrf()})
    fc_browser.login_with_password(claire.user.email)
    assert fc_browser.user_id() == str(claire.user.pk)


def test_a_different_identity_is_not_linked_and_the_parent_sees_why(fc_browser, claire):
    fc_browser.login_with_password(claire.user.email)
    page = fc_browser.finish(fc_browser.choose(fc_browser.start(process="connect"), sub="demo-claire-martin-homonyme"))
    text = _text(page)
    assert "FranceConnect n'a pas été lié" in text and "la date de naissance diffère" in text
    assert not SocialAccount.objects.filter(user=claire.user).exists()
    assert not PendingLink.objects.exists()


def test_under_the_staff_policy_a_difference_waits_for_staff(fc_browser, claire, admin_client):
    IdentitySettings.objects.create(link_policy=IdentitySettings.LinkPolicy.STAFF)
    fc_browser.login_with_password(claire.user.email)
    page = fc_browser.finish(fc_browser.choose(fc_browser.start(process="connect"), sub="demo-claire-martin-homonyme"))
    assert "le service va vérifier" in _text(page)
    link = PendingLink.objects.get(user=claire.user)
    assert not SocialAccount.objects.filter(user=claire.user).exists()
    response = admin_client.post("/admin/identity/pendinglink/", {"action": "approve", "_selected_action": [link.pk]})
    assert response.status_code == 302
    assert SocialAccount.objects.filter(user=claire.user, uid="demo-claire-martin-homonyme").exists()
    link.refresh_from_db()
    assert link.status == PendingLink.Status.APPROVED


def test_an_identity_linked_to_another_account_is_refused(fc_browser, claire, other_family):
    SocialAccount.objects.create(user=other_family[0], provider="franceconnect", uid="demo-claire-martin")
    fc_browser.login_with_password(claire.user.email)
    page = fc_browser.finish(fc_browser.choose(fc_browser.start(process="connect")))
    assert "déjà liée à un autre compte" in _text(page)
    assert not SocialAccount.objects.filter(user=claire.user).exists()


def test_unlink(client, claire):
    SocialAccount.objects.create(user=claire.user, provider="franceconnect", uid="demo-claire-martin")
    client.force_login(claire.user)
    page = client.post("/identite/franceconnect/delier/", follow=True)
    assert "n'est plus lié" in html.unescape(page.content.decode())
    assert not SocialAccount.objects.filter(user=claire.user).exists()


def test_an_account_without_password_cannot_unlink(client, claire):
    claire.user.set_unusable_password()
    claire.user.save()
    SocialAccount.objects.create(user=claire.user, provider="franceconnect", uid="demo-claire-martin")
    client.force_login(claire.user)
    page = client.post("/identite/franceconnect/delier/", follow=True)
    assert "choisissez d'abord un mot de passe" in html.unescape(page.content.decode())
    assert SocialAccount.objects.filter(user=claire.user).exists()


def test_an_unknown_identity_with_self_registration_off_is_told_how_to_link(fc_browser):
    IdentitySettings.objects.create(self_registration=False)
    page = fc_browser.finish(fc_browser.choose(fc_browser.start(), sub="demo-camille-durand"))
    assert "Aucun compte du portail n'est lié à cette identité FranceConnect" in _text(page)
    assert fc_browser.user_id() is None
