import pytest

pytestmark = pytest.mark.django_db


def test_welcome_page_for_anonymous(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "Se connecter" in response.content.decode()


def test_dashboard_greets_parent_with_family_number(parent_client, parent):
    user, family = parent
    response = parent_client.get("/")
    body = response.content.decode()
    assert family.number in body
    assert user.guardian.first_name in body


def test_dashboard_query_count_is_bounded(client, django_assert_max_num_queries):
    from families.tests.factories import parent_with_family

    user, _ = parent_with_family(children=2)
    client.force_login(user)
    with django_assert_max_num_queries(12):
        client.get("/")


def test_unknown_page_is_a_french_404(client):
    response = client.get("/nulle-part/")
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
