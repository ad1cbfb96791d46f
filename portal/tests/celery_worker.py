"""A real Celery worker for integration tests: on the Redis at 127.0.0.1 (CELERY_TEST_REDIS_URL, default
redis://127.0.0.1:6379/5), consuming a queue of this test process's own. Test modules import the
fixtures they use (``broker``, ``worker``, ``celery``, ``done``) and mark themselves ``celery_worker``,
``xdist_group("celery")`` and ``django_db(transaction=True)``. Without Redis they fail, never skip."""
import os
import threading
import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection

from portal.celery import app

REDIS_URL = os.environ.get("CELERY_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
TIMEOUT = 30


# A queue of this process's own: two test runs sharing the Redis database never take each other's tasks.
QUEUE = f"portal-test-{os.getpid()}"


def _reconfigure(**conf):
    app.conf.update(conf)
    app._pool = None  # forget the connection and producer pools built for the previous broker URL
    app.amqp._producer_pool = None
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)


@pytest.fixture(scope="module")
def broker():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.fail(f"These tests need Redis at {REDIS_URL} (start it, see /work/shared/TESTING.md): {exc}")
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_routes")}
    routes = {f"{name}.tasks.*": {"queue": QUEUE} for name in ("portal", "billing")}
    _reconfigure(broker_url=REDIS_URL, task_always_eager=False, task_routes=routes)
    yield client
    _reconfigure(**saved)
    client.delete(QUEUE)
    client.close()


@pytest.fixture(scope="module")
def worker(broker):
    """One real worker for the module: two threads, so a duplicate delivery can run during the first."""
    with start_worker(
        app, pool="threads", concurrency=2, queues=[QUEUE], perform_ping_check=False, shutdown_timeout=30
    ) as w:
        yield w


@pytest.fixture
def celery(worker, broker):
    broker.delete(QUEUE)  # nothing left over from another test
    return worker


@pytest.fixture
def done():
    """Every task the worker finished: list of (task name, state, return value)."""
    finished = []
    lock = threading.Lock()

    def on_postrun(sender=None, state=None, retval=None, **kwargs):
        with lock:
            finished.append((sender.name, state, retval))
        connection.close()  # the worker thread's own database connection

    task_postrun.connect(on_postrun, weak=False)
    yield finished
    task_postrun.disconnect(on_postrun)


def wait_until(condition, what, timeout=TIMEOUT):
    """Poll ``condition`` until true; fail after ``timeout`` seconds with ``what``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"Timed out after {timeout} s waiting for {what}")


def wait_idle(client, timeout=TIMEOUT):
    """Wait until the worker has nothing left: no message waiting in this process's queue and none delivered
    but not acknowledged yet (tasks acknowledge late, once run), so anything queued so far has run."""
    wait_until(lambda: client.llen(QUEUE) == 0 and client.hlen("unacked") == 0, "the worker to be idle", timeout)
