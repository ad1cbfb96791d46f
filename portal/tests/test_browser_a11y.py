"""What axe does not check (issue 20): the focus outline's contrast, the error summary that takes the focus,
« Erreur : » in the title, aria-invalid on the login fields, and the session warning."""
import re

import pytest
from playwright.sync_api import expect

from enrolment.models import OpeningPeriod
from enrolment.tests.factories import ActivityFactory, GroupFactory, UnitFactory, enrol
from families.tests.factories import parent_with_family

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The outline's colour, its width and style, and the first opaque background behind the element (the
# outline is drawn outside it, over its parent's background).
OUTLINE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  let node = el.parentElement, bg = "rgb(255, 255, 255)";
  while (node) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && c !== "transparent" && !/rgba\\(.*, 0\\)$/.test(c)) { bg = c; break; }
    node = node.parentElement;
  }
  return {color: style.outlineColor, width: parseFloat(style.outlineWidth), style: style.outlineStyle, bg: bg,
          text: (el.textContent || el.name || "").trim()};
}"""


def _luminance(css):
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a, b):
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _tab_to(page, check, limit=40):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(check):
            return page.evaluate(OUTLINE)
    raise AssertionError(f"never focused: {check}")


def test_focus_outline_contrast_on_a_field_a_button_and_a_menu_link(page, live_server):
    page.goto(f"{live_server.url}/compte/login/")
    measured = {}
    measured["menu link"] = _tab_to(page, "document.activeElement.matches('.navbar .nav-link')")
    measured["field"] = _tab_to(page, "document.activeElement.type === 'email'")
    measured["button"] = _tab_to(page, "document.activeElement.matches('button[type=submit]')")
    for what, got in measured.items():
        assert got["style"] != "none" and got["width"] >= 2, (what, got)
        ratio = _contrast(got["color"], got["bg"])
        assert ratio >= 3, f"{what} « {got['text']} »: outline {got['color']} on {got['bg']} is {ratio:.2f}:1"
    # The menu's outline is drawn on the blue bar, the others on white: two colours.
    assert measured["menu link"]["color"] != measured["field"]["color"]


def test_login_error_summary_takes_the_focus(page, live_server, axe_check):
    user, _ = parent_with_family(children=1)
    page.goto(f"{live_server.url}/compte/login/")
    page.get_by_label("Courriel").fill(user.email)
    page.get_by_label("Mot de passe", exact=False).first.fill("pas le bon")
    page.get_by_role("button", name="Connexion").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Erreur")
    expect(page).to_have_title(re.compile(r"^Erreur : Connexion"))
    expect(page.get_by_label("Courriel")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Mot de passe", exact=False).first).to_have_attribute("aria-invalid", "true")
    axe_check(page)
    summary.get_by_role("link").first.click()
    expect(page.get_by_label("Courriel")).to_be_focused()


def test_form_error_summary_built_on_any_form_takes_the_focus(page, live_server, browser_login, axe_check):
    """A form whose template writes no summary (here « Sélection en masse » with no date) gets one."""
    activity = ActivityFactory()
    OpeningPeriod.objects.create(activity=activity, start_date=activity.season_start, end_date=activity.season_end,
                                 wednesday=True)
    group = GroupFactory(activity=activity)
    UnitFactory(activity=activity, name="Journée")
    user, family = parent_with_family(children=1)
    enrolment = enrol(family.children.get(), activity, group)
    browser_login(page, user)
    page.goto(f"{live_server.url}/inscriptions/planning/{enrolment.pk}/selection/masse/")
    page.get_by_label("Du", exact=True).fill("")
    page.get_by_role("button", name="Ajouter à mes réservations à confirmer").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Erreur : "))
    link = summary.get_by_role("link", name=re.compile("^Du"))
    expect(link).to_be_visible()
    axe_check(page)
    link.click()
    expect(page.get_by_label("Du", exact=True)).to_be_focused()


def test_session_warning_extends_the_session(page, live_server, browser_login, settings):
    """Two minutes before the end a warning offers « Rester connecté », which starts the session afresh."""
    settings.SESSION_COOKIE_AGE = 125  # the warning shows after ~5 s
    user, _ = parent_with_family(children=1)
    browser_login(page, user)
    page.goto(f"{live_server.url}/inscriptions/planning/")
    before = float(page.locator('meta[name="session-expires"]').get_attribute("content"))
    button = page.get_by_role("button", name="Rester connecté")
    expect(button).to_be_visible(timeout=15_000)
    expect(button).to_be_focused()
    button.click()
    expect(button).to_have_count(0)
    after = float(page.evaluate("sessionStorage.getItem('portal-session-expires')"))
    assert after > before
