import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .staff_home_data import EXPECTED_TODAY, EXPECTED_WAITING, NOW, waiting_town

pytestmark = pytest.mark.django_db

STAFF_PAGES = ("enrolment_staff:attendance", "enrolment_staff:occupancy", "messaging_staff:inbox")


def test_admin_home_links_the_staff_pages(client, staff_user):
    client.force_login(staff_user)
    body = client.get("/admin/").content.decode()
    for name in STAFF_PAGES:
        assert f'href="{reverse(name)}"' in body
        assert reverse(name).startswith("/personnel/")
        assert client.get(reverse(name)).status_code == 200


def test_staff_pages_refuse_parents(parent_client):
    for page in STAFF_PAGES:
        response = parent_client.get(reverse(page))
        assert response.status_code == 302 and response.url.startswith("/admin/login/"), page


# --- The staff home: what waits, today's figures per site --------------------------------------------------

def _waiting_rows(body):
    """{label: (count, url)} of the « À traiter » table."""

    table = body.split('id="a-traiter"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th><td class="count">(?:<strong>)?(\d+)', table)
    return {html.unescape(label): (int(count), html.unescape(url)) for url, label, count in rows}


def test_staff_home_counts_each_kind_of_waiting_work(client, staff_user, time_machine):
    time_machine.move_to(NOW)
    waiting_town()
    client.force_login(staff_user)
    rows = _waiting_rows(client.get("/admin/").content.decode())
    assert {label: count for label, (count, _) in rows.items()} == EXPECTED_WAITING
    # Each link opens the list filtered to what was counted.
    for label, (count, url) in rows.items():
        response = client.get(url)
        assert response.status_code == 200, url
        if url.startswith("/admin/"):
            assert f"{count} " in response.content.decode() or count == 0, (label, url)
        else:
            assert response.content.decode().count('href="/personnel/messagerie/') >= count


def test_staff_home_shows_today_per_site(client, staff_user, time_machine):
    time_machine.move_to(NOW)
    waiting_town()
    client.force_login(staff_user)
    body = client.get("/admin/").content.decode()
    table = body.split('id="aujourd-hui"', 1)[1].split("</table>", 1)[0]
    assert "mercredi 11 mars 2026" in table
    for site, (expected, left, absences) in EXPECTED_TODAY.items():
        cells = (f'<th scope="row">{site}</th><td class="count">{expected}</td>'
                 f'<td class="count">{"—" if left is None else left}</td><td class="count">{absences}</td>')
        assert cells in table


def test_staff_home_query_count_does_not_grow(client, staff_user, time_machine):
    time_machine.move_to(NOW)
    waiting_town()
    client.force_login(staff_user)
    client.get("/admin/")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/admin/").status_code == 200
        return len(queries)

    count()  # the second request of a kind is measured: the first fills the per-process caches
    few = count()
    waiting_town(extra=30)
    count()
    assert count() == few <= 30


def test_the_staff_pages_block_reads_on_one_line(client, staff_user):
    """The block's cells are styled by static/portal/admin.css (the admin's table rules squeezed them)."""
    client.force_login(staff_user)
    body = client.get("/admin/").content.decode()
    assert '<div class="module staff-home" id="pages-du-service">' in body
    assert reverse("messaging_staff:mass_list") in body
