"""Project-wide fixtures: PostgreSQL is required, one Chromium per session for browser tests,
phone and desktop viewports, and an axe-core check usable on every page."""
import os
import shutil

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# This root conftest is imported before pytest-django sets Django up: the fixtures below import models,
# factories and the cache when they run, not here (no import cycle behind them).

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 3,
        "is_mobile": True,
        "has_touch": True,
        "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
    },
}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
    }


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def screen(request):
    """Run a browser test once at desktop size and once at phone size."""
    return request.param


@pytest.fixture
def browser_context_args(browser_context_args, screen):
    return {**browser_context_args, **VIEWPORTS[screen], "locale": "fr-FR", "timezone_id": "Europe/Paris"}


@pytest.fixture
def axe_check():
    """``axe_check(page)`` fails on any serious or critical accessibility violation."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, context=None):
        results = axe.run(page, context=context)
        bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
        details = "\n".join(
            f"{v['id']} ({v['impact']}): {v['help']} — " + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"]) for n in v["nodes"][:5])
            for v in bad
        )
        assert not bad, f"Accessibility violations on {page.url}:\n{details}"

    return check


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    from portal import caching

    cache.clear()
    caching.reset()
    yield


@pytest.fixture
def parent(db):
    """(user, family): a logged-in-able parent with one child."""
    from families.tests.factories import parent_with_family

    return parent_with_family(children=1)


@pytest.fixture
def parent_client(client, parent):
    client.force_login(parent[0])
    return client


@pytest.fixture
def other_family(db):
    from families.tests.factories import parent_with_family

    return parent_with_family(children=1)


@pytest.fixture
def staff_user(db):
    from families.tests.factories import StaffFactory

    return StaffFactory()


@pytest.fixture
def browser_login(live_server):
    """``browser_login(page, user)`` logs ``user`` in through the real login form."""
    from families.tests.factories import PASSWORD

    def login(page, user, password=PASSWORD):
        page.goto(f"{live_server.url}/compte/login/")
        page.get_by_label("Courriel").fill(user.email)
        page.get_by_label("Mot de passe", exact=False).first.fill(password)
        page.get_by_role("button", name="Connexion").click()
        page.wait_for_load_state()

    return login


@pytest.fixture
def staff_browser_login(live_server):
    """``staff_browser_login(page, staff)`` logs a staff member in through the admin's login form."""
    from families.tests.factories import PASSWORD

    def login(page, staff, password=PASSWORD):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", staff.username)
        page.fill("#id_password", password)
        page.locator("input[type=submit]").click()
        page.wait_for_load_state()

    return login
