"""PostgreSQL restarted while the portal runs (issue 15): a private PostgreSQL cluster (never the shared one
on port 5432) and a real gunicorn process serving the portal on it. While the database is down, pages
answer a French « Service momentanément indisponible » with HTTP 503; once it is back the same gunicorn
process serves again, without a restart."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from glob import glob
from pathlib import Path

import pytest

from portal.tests.smtp_server import free_port

pytestmark = [pytest.mark.xdist_group("faults-postgres")]

BASE_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def _pg_bin(name):
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        pytest.fail(f"{name} not found under /usr/lib/postgresql/*/bin (install postgresql)")
    return found[-1]


def _as_postgres(cmd, **kwargs):
    """initdb and pg_ctl refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120, **kwargs)


class PrivateCluster:
    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="portal-pg-"))
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        _as_postgres([_pg_bin("initdb"), "-D", str(self.dir / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"])

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/portal_fault"

    def start(self):
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "start",
                      "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"])

    def stop(self):
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"])

    def remove(self):
        subprocess.run(["runuser", "-u", "postgres", "--", _pg_bin("pg_ctl"), "-D", str(self.dir / "data"),
                        "-m", "immediate", "stop"] if os.geteuid() == 0 else
                       [_pg_bin("pg_ctl"), "-D", str(self.dir / "data"), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _wait_for(url, statuses, timeout=60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = _get(url)
            if last[0] in statuses:
                return last
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            last = (None, str(exc))
        time.sleep(0.3)
    raise AssertionError(f"{url} never answered {statuses}: last {last[0] if last else None}")


@pytest.fixture
def portal_on_private_postgres():
    cluster = PrivateCluster()
    server = None
    try:
        cluster.start()
        subprocess.run([_pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres", "portal_fault"],
                       check=True, capture_output=True)
        env = {**os.environ, "DATABASE_URL": cluster.url, "DJANGO_SETTINGS_MODULE": "portal.settings_test"}
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env,
                       check=True, capture_output=True, timeout=300)
        port = free_port()
        server = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--timeout", "30"],
            cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        yield cluster, f"http://127.0.0.1:{port}"
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        cluster.remove()


def test_postgres_restart_gives_a_french_503_then_recovers_without_restarting_the_portal(portal_on_private_postgres):
    cluster, base = portal_on_private_postgres
    news = f"{base}/actualites/"  # a public page that reads the database
    _wait_for(news, {200})
    cluster.stop()
    for _ in range(3):  # every request during the outage, not only the first
        status, body = _get(news)
        assert status == 503, status
        assert "Service momentanément indisponible" in body and "Traceback" not in body
    cluster.start()
    status, body = _wait_for(news, {200}, timeout=30)  # the same gunicorn process, not restarted
    assert "Service momentanément indisponible" not in body
