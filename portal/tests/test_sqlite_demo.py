"""`scripts/run` serves the demo on the embedded SQLite: the suite runs on PostgreSQL, so the SQLite
fallbacks of the raw SQL (calendar reads, counters, invoice lines) are checked here, end to end."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.xdist_group("sqlite-demo")
def test_demo_data_and_parent_pages_on_sqlite(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE": "portal.settings",
           "DEBUG": "true", "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
           "MEDIA_ROOT": str(tmp_path / "media"), "LOG_LEVEL": "WARNING"}
    env.pop("REDIS_URL", None)
    for command in (["manage.py", "migrate", "-v0"], ["manage.py", "demo_data"], ["portal/tests/sqlite_smoke.py"]):
        done = subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    assert "SQLITE DEMO OK" in done.stdout
    assert "ok commit book" in done.stdout and "ok commit cancel" in done.stdout
