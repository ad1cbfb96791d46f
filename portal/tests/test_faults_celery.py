"""A Celery worker killed in the middle of a batch (issue 15): a real worker process on Redis (database 11,
CELERY_FAULT_REDIS_URL), sending to a real SMTP server on a loopback port, is killed with SIGKILL while it
sends twenty e-mails, then started again. The outbox sweep queues again what the dead worker held; every
e-mail reaches the SMTP server exactly once."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from portal.celery import app
from portal.mail import email_record
from portal.models import OutboundEmail
from portal.tasks import outbox_sweep
from portal.tests.celery_worker import _reconfigure, wait_until
from portal.tests.smtp_server import SMTPServer

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.xdist_group("celery"),
    pytest.mark.django_db(transaction=True),
]

REDIS_URL = os.environ.get("CELERY_FAULT_REDIS_URL", "redis://127.0.0.1:6379/11")
QUEUE = f"portal-fault-{os.getpid()}"
BASE_DIR = Path(__file__).resolve().parents[2]
BATCH = 20


@pytest.fixture
def broker():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.fail(f"This test needs Redis at {REDIS_URL}: {exc}")
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_routes")}
    _reconfigure(broker_url=REDIS_URL, task_always_eager=False, task_routes={"portal.tasks.*": {"queue": QUEUE}})
    client.delete(QUEUE)
    yield client
    _reconfigure(**saved)
    client.delete(QUEUE)
    client.close()


@pytest.fixture
def smtp():
    server = SMTPServer(delay=0.15).start()
    yield server
    server.stop()


@pytest.fixture
def start_worker(smtp):
    """``start_worker()`` starts a real worker process on this test database; every one is killed at the end."""
    processes = []
    db = connection.settings_dict
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings", "REDIS_URL": REDIS_URL,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "LOG_LEVEL": "WARNING",
    }

    def start():
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "portal", "worker", "-Q", QUEUE, "-P", "solo", "-c", "1",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "warning"],
            cwd=BASE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def test_worker_killed_mid_batch_then_restarted_sends_every_email_once(broker, smtp, start_worker):
    with transaction.atomic():  # one change causing twenty e-mails, queued after commit
        emails = [email_record(to=f"parent{i}@example.org", subject=f"Facture {i}", body_text="Bonjour")
                  for i in range(BATCH)]
    worker = start_worker()
    wait_until(lambda: len(smtp.messages) >= 5, "the worker to send its first e-mails", timeout=60)
    os.killpg(worker.pid, signal.SIGKILL)  # mid-batch, mid-conversation with the SMTP server
    worker.wait(timeout=30)
    sent_before_restart = len(smtp.messages)
    assert 5 <= sent_before_restart < BATCH
    start_worker()
    # The task the dead worker held is unacknowledged in Redis: the sweep queues its row again.
    with transaction.atomic():
        outbox_sweep(now=timezone.now() + timedelta(minutes=11))
    wait_until(lambda: not OutboundEmail.objects.exclude(status="sent").exists(), "every e-mail sent", timeout=90)
    time.sleep(1)  # a late duplicate, if any, would arrive now
    ids = smtp.message_ids
    assert len(ids) == BATCH and len(set(ids)) == BATCH, (len(ids), len(set(ids)))
    assert sorted(m["To"] for m in smtp.messages) == sorted(e.to for e in emails)
