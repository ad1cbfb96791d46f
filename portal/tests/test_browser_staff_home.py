"""The staff home in a browser: each kind of waiting work with its count, today's figures, both sizes, axe."""
import pytest


from .staff_home_data import EXPECTED_TODAY, EXPECTED_WAITING, NOW, waiting_town

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_staff_home_shows_what_waits_and_today(page, live_server, staff_browser_login, axe_check, time_machine,
                                                   screen):
    time_machine.move_to(NOW)
    town = waiting_town()
    staff_browser_login(page, town["staff"])
    assert page.url.rstrip("/").endswith("/admin")
    waiting = page.get_by_role("table", name="À traiter")
    for label, count in EXPECTED_WAITING.items():
        row = waiting.get_by_role("row", name=label)
        assert row.get_by_role("cell").last.inner_text().strip() == str(count), label
    today = page.get_by_role("table", name="Aujourd'hui, mercredi 11 mars 2026")
    for site, (expected, left, absences) in EXPECTED_TODAY.items():
        cells = [c.strip() for c in today.get_by_role("row", name=site).get_by_role("cell").all_inner_texts()]
        assert cells == [str(expected), "—" if left is None else str(left), str(absences)], site
    # The « Pages du service » links read on one line (they used to wrap one letter per line).
    link = page.get_by_role("link", name="Feuille de présence (pointage)")
    box = link.bounding_box()
    page.screenshot(path=f"/tmp/h19c-staff-home-{screen}.png", full_page=True)
    assert box["width"] > 60 and box["height"] < 100, box  # a few words a line, never one letter
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    axe_check(page)

    waiting.get_by_role("link", name="Demandes de réservation").click()
    page.wait_for_load_state()
    assert page.get_by_text("3 réservations").first.is_visible()
    page.go_back()
    page.get_by_role("link", name="Messages sans réponse depuis plus de 2 jours").click()
    page.wait_for_load_state()
    assert page.get_by_text("2 conversation(s)").is_visible()
    axe_check(page)
