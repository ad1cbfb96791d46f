"""Portal server processes for tests: gunicorn with the production settings (DEBUG off, PostgreSQL, Redis),
serving the test database, as several servers behind a load balancer would.

``portal_servers(count, redis_db)`` starts ``count`` gunicorn processes (one sync worker each, so each is
its own process with its own memory) on free loopback ports and yields their base URLs.
"""
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
REDIS_HOST = "127.0.0.1"
LOG_DIR = Path("/tmp/portal-test-servers")
LOG_DIR.mkdir(exist_ok=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url():
    """The URL of the database this test runs on (pytest-django's test_… database)."""
    s = connection.settings_dict
    return f"postgres://{s['USER'] or 'postgres'}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def redis_db_for_worker(base):
    """A Redis database number of its own per pytest-xdist worker (gw0 → base, gw1 → base + 1…)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return base + int(worker[2:] or 0)


def server_env(*, redis_db, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": "multi-server-test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(),
        "REDIS_URL": f"redis://{REDIS_HOST}:6379/{redis_db}",
        "SECURE_SSL_REDIRECT": "false", "SECURE_COOKIES": "false", "SECURE_HSTS_SECONDS": "0",
        "PAYMENT_FAKE_PROVIDER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra)
    return env


def _wait_until_up(url, process, host, timeout=60):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline and process.poll() is None:
        try:
            request = urllib.request.Request(f"{url}/compte/login/", headers={"Host": host})
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError as exc:
            last = exc
            time.sleep(0.2)
    raise RuntimeError(f"the portal server at {url} did not start ({last}):\n{server_log(url)}")


def server_log(url):
    """The end of a server's error log (its tracebacks), for assertion messages."""
    path = LOG_DIR / f"{url.rsplit(':', 1)[1]}.log"
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


def collected_static(environment):
    """STATIC_ROOT for the servers: collectstatic once per test process (the production storage serves the
    manifest's hashed names)."""
    root = Path(f"/tmp/portal-test-static-{os.getpid()}")
    if not (root / "staticfiles.json").exists():
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, check=True,
                       env={**environment, "STATIC_ROOT": str(root)}, timeout=300)
    return root


@contextlib.contextmanager
def portal_servers(count, *, redis_db, **env):
    """Start ``count`` gunicorn servers on the test database and the Redis database ``redis_db`` (flushed
    before and after); yield their URLs; stop them."""
    store = redis.Redis(host=REDIS_HOST, db=redis_db)
    store.flushdb()
    environment = server_env(redis_db=redis_db, **env)
    environment["STATIC_ROOT"] = str(collected_static(environment))
    processes, urls = [], []
    try:
        for _ in range(count):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "portal.wsgi:application", "--bind", f"127.0.0.1:{port}",
                 "--workers", "1", "--timeout", "60", "--log-level", "warning"],
                cwd=ROOT, env=environment, stdout=subprocess.DEVNULL,
                stderr=open(LOG_DIR / f"{port}.log", "wb"),
            ))
            urls.append(url)
        for url, process in zip(urls, processes):
            _wait_until_up(url, process, environment["ALLOWED_HOSTS"].split(",")[0])
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        store.flushdb()
        store.close()
