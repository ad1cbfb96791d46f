"""Production installs requirements/base.txt alone: no test, browser or load tool in it."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_IN_PRODUCTION = {"pytest", "pytest-django", "pytest-xdist", "pytest-playwright", "playwright", "locust", "flask",
                     "gevent", "factory-boy", "faker", "time-machine", "pyinstrument", "pip-tools", "import-linter",
                     "axe-playwright-python"}


def _pinned(name):
    text = (ROOT / "requirements" / name).read_text()
    return {re.split(r"[=\[]", line)[0].strip().lower().replace("_", "-")
            for line in text.splitlines() if line and not line.startswith((" ", "#", "-"))}


def test_the_runtime_set_pulls_no_test_or_load_tool():
    runtime = _pinned("base.txt")
    assert "django" in runtime and "celery" in runtime and "weasyprint" in runtime
    assert not runtime & NOT_IN_PRODUCTION


def test_the_tools_are_in_the_dev_and_bench_sets():
    assert {"pytest", "pytest-django", "playwright", "import-linter"} <= _pinned("dev.txt")
    assert {"locust", "pyinstrument"} <= _pinned("bench.txt")
