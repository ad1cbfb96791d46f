"""The main navigation (templates/portal/_nav.html): the active section, the parent's own e-mail, the unread
badge and a working logout form."""
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from families.tests.factories import StaffFactory, parent_with_family
from messaging.models import Service, Thread
from messaging.services import message_reply_by_staff, thread_start_by_staff

pytestmark = pytest.mark.django_db


def _nav(response):
    html = response.content.decode()
    return html[html.index('<nav class="navbar'):html.index("</nav>")]


def _current(nav):
    return re.findall(r'aria-current="page">([^<]+)<', nav)


def test_each_section_marks_its_own_link():
    user, _ = parent_with_family()
    client = Client()
    client.force_login(user)
    assert _current(_nav(client.get(reverse("home")))) == ["Accueil"]
    assert _current(_nav(client.get(reverse("billing:index")))) == ["Facturation"]
    assert _current(_nav(client.get(reverse("enrolment:planning")))) == ["Planning – Réservations"]
    assert _current(_nav(client.get(reverse("messaging:inbox")))) == ["Messagerie"]


def test_each_parent_sees_their_own_email_escaped():
    first, _ = parent_with_family(email="a&b@example.org")
    second, _ = parent_with_family(email="second@example.org")
    a, b = Client(), Client()
    a.force_login(first)
    b.force_login(second)
    nav_a, nav_b = _nav(a.get(reverse("home"))), _nav(b.get(reverse("home")))
    assert "a&amp;b@example.org" in nav_a and "second@example.org" not in nav_a
    assert "second@example.org" in nav_b and "a&amp;b" not in nav_b


def test_the_unread_badge_follows_the_messages():
    user, family = parent_with_family()
    client = Client()
    client.force_login(user)
    assert "non lu" not in _nav(client.get(reverse("billing:index")))
    service, _ = Service.objects.get_or_create(name="Scolarité")
    staff = StaffFactory()
    thread = thread_start_by_staff(family=family, staff_user=staff, service=service,
                                   theme=Thread.Theme.choices[0][0], subject="Question", body="Réponse")
    message_reply_by_staff(thread=thread, staff_user=staff, body="Réponse")
    assert re.search(r">2<span class=\"visually-hidden\"> messages non lus", _nav(client.get(reverse("billing:index"))))


def test_the_logout_form_carries_a_working_csrf_token():
    user, _ = parent_with_family()
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    nav = _nav(client.get(reverse("home")))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', nav).group(1)
    response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_anonymous_and_staff_navigation():
    staff = get_user_model().objects.create_user("agent", "agent@mairie.example.org", "x", is_staff=True)
    anonymous = _nav(Client().get(reverse("news:index")))
    assert "Se connecter" in anonymous and "Mon compte" not in anonymous
    client = Client()
    client.force_login(staff)
    nav = _nav(client.get(reverse("news:index")))
    assert "agent@mairie.example.org" in nav and "Mon compte" in nav
    assert "Facturation" not in nav and _current(nav) == ["Actualités"]
