"""Every parent page at 390 px: no sideways scroll, and every checkbox, radio and button at least 44 px tall
(the control or its label). The pages come from the URLconf (the isolation crawl's walk and its family A with
an object behind every id), so a new parent page is measured without being listed here."""
import pytest

from enrolment.models import Enrolment

from .test_isolation_crawl import NOT_FAMILY_SCOPED, _fill, _patterns, family_a  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIN_TAP = 44

# Pages that are not HTML pages a parent reads at 390 px (files, feeds, images), by URL name.
NOT_PAGES = {"enrolment:feed", "enrolment:certificate", "billing:invoice_pdf", "billing:fake_provider",
             "messaging:attachment", "documents:file", "documents:renewal_proof", "news:image", "news:document",
             "families:invitation", "session_extend"}

MEASURE = """() => {
  const bad = [];
  const seen = (el) => { const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== "hidden"; };
  for (const el of document.querySelectorAll(
      'button, input[type=checkbox], input[type=radio], input[type=submit], a.btn')) {
    if (!seen(el)) continue;
    let h = el.getBoundingClientRect().height;
    for (const label of (el.labels || [])) { if (seen(label)) h = Math.max(h, label.getBoundingClientRect().height); }
    if (h < %d - 0.5) bad.push(`${el.tagName.toLowerCase()}[${el.type || ""}] « ${(el.innerText || el.value || el.name || el.id).trim().slice(0, 40)} » ${h.toFixed(1)} px`);
  }
  return {scroll: document.documentElement.scrollWidth, inner: window.innerWidth, bad: bad};
}""" % MIN_TAP


def _parent_pages(family_a):  # noqa: F811
    """Every parent page a GET shows: the URLconf's parent patterns, ids filled with family A's objects."""
    _, by_param, by_url, _ = family_a
    pages = []
    for route, name, view, params in _patterns("parent"):
        if name in NOT_PAGES or name in NOT_FAMILY_SCOPED:
            continue
        path = _fill(route, name, params, by_param, by_url)
        if path:
            pages.append((name, path))
    return pages


def test_every_parent_page_fits_a_phone(page, live_server, browser_login, family_a, screen):  # noqa: F811
    if screen != "phone":
        pytest.skip("the 390 px pass")

    user = family_a[0]
    pages = _parent_pages(family_a)
    enrolment = Enrolment.objects.get(child__family=user.guardian.family)
    pages += [("month (edit)", f"/inscriptions/planning/{enrolment.pk}/2026/3/?modifier=1"),
              ("fortnight (edit)", f"/inscriptions/planning/{enrolment.pk}/quinzaine/2026/3/2/?modifier=1"),
              ("semaine type", f"/inscriptions/planning/{enrolment.pk}/selection/semaine/"),
              ("change password", "/compte/password/change/")]
    assert len(pages) >= 30, pages
    browser_login(page, user)
    problems, visited = [], 0
    for name, path in pages:
        asked = page.request.get(live_server.url + path, max_redirects=0)
        if asked.status != 200 or "text/html" not in asked.headers.get("content-type", ""):
            continue  # a POST-only address (405), a redirect, a file
        page.goto(live_server.url + path)
        visited += 1
        got = page.evaluate(MEASURE)
        if got["scroll"] > got["inner"]:
            problems.append(f"{path} ({name}): {got['scroll']} px wide at {got['inner']} px")
        problems += [f"{path} ({name}): {b}" for b in got["bad"]]
    assert visited >= 25
    assert not problems, "\n".join(problems)
