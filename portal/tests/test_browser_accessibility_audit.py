"""The accessibility audit the statement publishes (portal.accessibility): every page of the « Plan du site »
and the login page, opened in Chromium at each screen size, analysed by axe-core.

Run with ``ACCESSIBILITY_AUDIT_WRITE=1`` to record the results in ``portal/accessibility_audit/<size>.json``
(commit them); without it, the test fails when the recorded figures differ from what it measures, so the
statement never shows figures the pages no longer have. The clock is frozen on a Monday of the fixture
season, so the figures do not move with the calendar."""
import datetime
import json
import os
import zoneinfo

import pytest
import time_machine
from axe_playwright_python.sync_playwright import Axe

from billing.tests.factories import March, invoice_make
from menus.tests.factories import declare, week_menu
from portal import accessibility, sitemap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = datetime.datetime(2026, 3, 16, 9, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris"))
COMPARED = ("axe_version", "pages", "violations_by_impact", "rules", "pages_with_horizontal_scroll")


def _measure(page, axe):
    results = axe.run(page).response
    horizontal = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    return results, horizontal


def test_accessibility_audit_of_every_page(page, live_server, browser_login, parent, screen):
    axe = Axe()
    with time_machine.travel(TODAY, tick=True):
        user, family = parent
        march = March(family)
        invoice_make(regie=march.regie, family=family, number=1, total="45.20", payer=user.guardian)
        declare(march.child, allergies="Fruits à coque", codes="nuts")
        week_menu(march.structure, monday=TODAY.date())

        visits = [("Connexion", "/compte/login/")]
        visited = []
        page.goto(live_server.url + "/compte/login/")
        visited.append((visits[0], *_measure(page, axe)))
        browser_login(page, user)
        for section in sitemap.sections():
            for label, path in section["pages"]:
                page.goto(live_server.url + path)
                page.wait_for_load_state()
                visited.append(((label, path), *_measure(page, axe)))

    by_impact = {impact: 0 for impact in accessibility.IMPACTS}
    rules = {}
    for (_label, _path), results, _horizontal in visited:
        for violation in results["violations"]:
            impact = violation.get("impact") or "minor"
            by_impact[impact] += len(violation["nodes"])
            rule = rules.setdefault(violation["id"], {"id": violation["id"], "impact": impact,
                                                      "help_url": violation["helpUrl"].split("?")[0], "count": 0, "pages": 0})
            rule["count"] += len(violation["nodes"])
            rule["pages"] += 1
    run = {
        "date": datetime.date.today().isoformat(),  # the day the tests ran (the statement's date)
        "size": screen,
        "axe_version": visited[0][1]["testEngine"]["version"],
        "browser": f"Chromium {page.context.browser.version}",
        "pages": [{"title": label, "path": path} for (label, path), _results, _horizontal in visited],
        "violations_by_impact": by_impact,
        "rules": sorted(rules.values(), key=lambda rule: rule["id"]),
        "pages_with_horizontal_scroll": sum(1 for _visit, _results, horizontal in visited if horizontal),
    }
    # The portal's own rule, whatever is recorded: nothing serious or critical on any page.
    serious = [(path, v["id"]) for (_label, path), results, _h in visited for v in results["violations"]
               if v.get("impact") in ("serious", "critical")]
    assert not serious, serious
    assert len(run["pages"]) >= 30

    path = accessibility.audit_path(screen)
    if os.environ.get("ACCESSIBILITY_AUDIT_WRITE"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(run, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    recorded = json.loads(path.read_text(encoding="utf-8"))
    differences = [key for key in COMPARED if recorded.get(key) != run[key]]
    assert not differences, (
        f"The accessibility statement's figures ({path.name}) differ from this run on {differences}: "
        f"run `ACCESSIBILITY_AUDIT_WRITE=1 scripts/test portal/tests/test_browser_accessibility_audit.py` "
        f"and commit the files.\nMeasured: {json.dumps({key: run[key] for key in differences}, ensure_ascii=False)}"
    )
