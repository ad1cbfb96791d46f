"""Integration: a real Celery worker on the Redis at 127.0.0.1 sends outbox rows into django.core.mail.outbox.

Needs Redis (CELERY_TEST_REDIS_URL, default redis://127.0.0.1:6379/5 — a database of its own, emptied
before each test). Without Redis these tests fail; they never skip.
"""
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone

from portal.celery import app
from portal.mail import email_record
from portal.models import OutboundEmail
from portal.tasks import broker_backlog, email_send, outbox_sweep
from portal.tests import mail_backends
from portal.tests.celery_worker import broker, celery, done, wait_idle, wait_until, worker  # noqa: F401 - fixtures

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.xdist_group("celery"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = "portal.tests.mail_backends.FlakyBackend"
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    mail_backends.flaky(0)
    yield mail_backends
    mail_backends.flaky(0)


def wait_for(condition, what):
    try:
        wait_until(condition, what)
    except AssertionError as exc:
        rows = list(OutboundEmail.objects.values_list("status", "attempts", "last_error"))
        raise AssertionError(f"{exc}; outbox rows: {rows}") from None


def sends(finished):
    return [state for name, state, _ in finished if name == "portal.tasks.email_send"]


def outcomes(finished):
    return [retval for name, _, retval in finished if name == "portal.tasks.email_send"]


def record(**kwargs):
    return email_record(to="parent@example.org", subject="Réservations", body_text="Bonjour", **kwargs)


def test_email_goes_from_outbox_to_django_outbox(celery, done, smtp):
    email = record(body_html="<p>Bonjour</p>")
    wait_for(lambda: len(sends(done)) >= 1, "the e-mail task")
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
    assert [m.subject for m in mail.outbox] == ["Réservations"]
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_smtp_failing_twice_then_succeeding_sends_one_email(celery, done, smtp):
    smtp.flaky(2)
    email = record()
    wait_for(lambda: OutboundEmail.objects.filter(pk=email.pk, status="sent").exists(), "the e-mail to be sent")
    wait_for(lambda: len(sends(done)) >= 3, "three attempts")
    email.refresh_from_db()
    assert email.attempts == 3
    assert sends(done) == ["RETRY", "RETRY", "SUCCESS"]
    assert len(mail.outbox) == 1


def test_same_task_delivered_twice_sends_one_email(celery, done, smtp):
    # two worker threads and a slow SMTP server: the duplicate arrives while the first is still sending
    smtp.flaky(0, delay=0.5)
    with mock.patch.object(email_send, "apply_async"):
        email = record()
    email_send.apply_async(args=[email.pk])
    email_send.apply_async(args=[email.pk])
    wait_for(lambda: len(sends(done)) >= 2, "both deliveries")
    first_two = sorted(outcomes(done))
    email_send.apply_async(args=[email.pk])  # a late redelivery after the e-mail went out
    wait_for(lambda: len(sends(done)) >= 3, "the late redelivery")
    # the duplicate found the row locked while it was being sent ("busy"), or already sent ("skipped")
    assert first_two in (["busy", "sent"], ["sent", "skipped"])
    assert outcomes(done)[2] == "skipped"
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
    assert len(mail.outbox) == 1
    assert smtp.state["calls"] == 1


def test_broker_backlog_counts_waiting_tasks(broker):
    queue = app.conf.task_default_queue
    broker.delete(queue)
    assert broker_backlog() == 0
    with app.producer_or_acquire() as producer:
        for _ in range(3):
            producer.publish({"noop": True}, routing_key=queue, exchange=queue, declare=[app.amqp.queues[queue]])
    try:
        assert broker_backlog() == 3
    finally:
        broker.delete(queue)


def test_sweep_run_twice_sends_each_stale_email_once(celery, done, smtp, broker):
    with mock.patch.object(email_send, "apply_async"):  # the broker "was down": nothing reached Redis
        emails = [record() for _ in range(3)]
    OutboundEmail.objects.update(queued_at=timezone.now() - timedelta(minutes=30))
    now = timezone.now()
    outbox_sweep(now=now)
    outbox_sweep(now=now + timedelta(minutes=5))
    wait_for(lambda: len(sends(done)) >= 3, "the swept e-mails")
    wait_idle(broker)  # anything queued twice has run by now
    assert sorted(m.to[0] for m in mail.outbox) == ["parent@example.org"] * 3
    assert len(sends(done)) == 3
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
    assert len(emails) == 3
