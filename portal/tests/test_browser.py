import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_parent_logs_in_and_sees_dashboard(page, live_server, browser_login, axe_check):
    from families.tests.factories import parent_with_family

    user, family = parent_with_family(children=1, email="Claire.Test@Example.org")
    page.goto(live_server.url + "/")
    axe_check(page)
    page.goto(f"{live_server.url}/compte/login/")
    axe_check(page)
    browser_login(page, user)
    assert family.number in page.content()
    axe_check(page)
