"""Benchmark: queue 10,000 e-mails in the outbox and time a real Celery worker draining them.

    .venv/bin/python bench/outbox_drain.py [--count 10000] [--batch 500] [--concurrency 2]

Needs PostgreSQL and Redis. Defaults: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_outbox_bench
(created and migrated if missing; only rows of template "bench" are touched) and
REDIS_URL=redis://127.0.0.1:6379/6, on a queue of its own. The worker is started by the script
(``celery -A portal worker``, prefork pool) with Django's locmem e-mail backend: every message is
built and serialised as for SMTP, nothing leaves the machine. Prints the figures and stops the worker.
"""
import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_outbox_bench")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ["DEBUG"] = "false"  # DEBUG keeps every SQL query in memory: never in a worker
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

QUEUE = "portal-bench-outbox"


def database_ensure():
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    info = conninfo_to_dict(os.environ["DATABASE_URL"])
    with psycopg.connect(make_conninfo(**{**info, "dbname": "postgres"}), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [info["dbname"]]).fetchone():
            conn.execute(f'CREATE DATABASE "{info["dbname"]}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds before giving up")
    args = parser.parse_args()

    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL (row locks): set DATABASE_URL to a postgres:// URL.")
    database_ensure()

    import django  # only once the environment (DATABASE_URL, settings) is checked and set

    django.setup()
    import redis
    from django.core.management import call_command
    from django.db import transaction

    from portal.celery import app
    from portal.mail import email_record
    from portal.models import OutboundEmail

    call_command("migrate", verbosity=0)
    broker = redis.Redis.from_url(os.environ["REDIS_URL"])
    broker.ping()
    broker.delete(QUEUE)
    OutboundEmail.objects.filter(template="bench").delete()
    app.conf.task_routes = {"portal.tasks.email_send": {"queue": QUEUE}}
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)

    body_text = "Bonjour,\n\nLes réservations de Léa pour décembre sont enregistrées.\n" * 5
    body_html = "<p>Bonjour,</p><p>Les réservations de Léa pour décembre sont enregistrées.</p>" * 5

    print(f"Queuing {args.count} e-mails in batches of {args.batch} (one transaction each)…", flush=True)
    started = time.perf_counter()
    for start in range(0, args.count, args.batch):
        with transaction.atomic():
            for i in range(start, min(start + args.batch, args.count)):
                email_record(
                    to=f"famille{i}@example.org", subject=f"Réservations n° {i}", body_text=body_text,
                    body_html=body_html, template="bench",
                )
    queue_seconds = time.perf_counter() - started
    in_broker = broker.llen(QUEUE)
    print(f"  recorded and queued in {queue_seconds:.1f} s ({args.count / queue_seconds:.0f} e-mails/s); "
          f"{in_broker} tasks waiting in Redis", flush=True)

    command = [
        sys.executable, "-m", "celery", "-A", "portal", "worker", "-l", "warning", "-Q", QUEUE,
        "-c", str(args.concurrency), "-P", "prefork", "-n", f"bench-{os.getpid()}@%h",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]
    print(f"Starting a worker: {' '.join(command[2:])}", flush=True)
    worker_started = time.perf_counter()
    worker = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    try:
        pending = OutboundEmail.objects.filter(template="bench", status=OutboundEmail.Status.QUEUED)
        last_report = 0.0
        while True:
            left = pending.count()
            elapsed = time.perf_counter() - worker_started
            if left == 0:
                break
            if worker.poll() is not None:
                sys.exit(f"The worker stopped (exit code {worker.returncode}) with {left} e-mails left.")
            if elapsed > args.timeout:
                sys.exit(f"Gave up after {args.timeout} s with {left} e-mails left.")
            if elapsed - last_report >= 5:
                print(f"  {elapsed:5.0f} s: {left} e-mails left", flush=True)
                last_report = elapsed
            time.sleep(0.25)
        drain_seconds = time.perf_counter() - worker_started
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()

    from django.db.models import Max, Min

    rows = OutboundEmail.objects.filter(template="bench")
    stats = rows.aggregate(first=Min("sent_at"), last=Max("sent_at"))
    sending_seconds = (stats["last"] - stats["first"]).total_seconds() if stats["first"] else 0
    sent = rows.filter(status=OutboundEmail.Status.SENT).count()
    attempts = sum(rows.values_list("attempts", flat=True))
    print("Results")
    print(f"  e-mails sent: {sent} / {args.count}; sending attempts: {attempts} (one per e-mail means no duplicate)")
    print(f"  worker start → outbox empty: {drain_seconds:.1f} s ({args.count / drain_seconds:.0f} e-mails/s)")
    if sending_seconds:
        print(f"  first → last e-mail sent:    {sending_seconds:.1f} s ({sent / sending_seconds:.0f} e-mails/s) "
              f"with {args.concurrency} worker process(es)")
    rows.delete()


if __name__ == "__main__":
    main()
