"""SMTP outages without a broker (the embedded default, issue 15): a real SMTP server on a loopback port,
stopped for ten minutes then started again, and one that accepts connections and never answers."""
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from portal.mail import email_record
from portal.models import OutboundEmail
from portal.tasks import outbox_sweep
from portal.tests.smtp_server import SMTPServer

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("faults-smtp")]


@pytest.fixture
def smtp_settings(settings):
    server = SMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", server.port, False
    yield server
    server.stop()


def _record_batch(count, capture):
    with capture(execute=True):
        return [email_record(to=f"parent{i}@example.org", subject=f"Réservation {i}", body_text="Bonjour")
                for i in range(count)]


def test_ten_minute_smtp_outage_delivers_every_email_once(smtp_settings, django_capture_on_commit_callbacks):
    server = smtp_settings  # not started: SMTP is down
    emails = _record_batch(5, django_capture_on_commit_callbacks)
    rows = {e.pk: e for e in OutboundEmail.objects.all()}
    # The request tried one e-mail, once, saw SMTP down and left the rest for the sweep.
    assert sorted(r.attempts for r in rows.values()) == [0, 0, 0, 0, 1]
    assert all(r.status == "queued" for r in rows.values())
    start = timezone.now()
    for minute in range(1, 11):  # the sweep runs every minute during the outage
        with time_machine.travel(start + timedelta(minutes=minute), tick=True), \
                django_capture_on_commit_callbacks(execute=True):
            outbox_sweep()
    during = list(OutboundEmail.objects.values_list("status", "attempts"))
    assert all(status == "queued" for status, _ in during), during  # nothing given up, nothing burnt
    assert max(attempts for _, attempts in during) <= 4
    server.start()
    for minute in range(11, 40):
        with time_machine.travel(start + timedelta(minutes=minute), tick=True), \
                django_capture_on_commit_callbacks(execute=True):
            outbox_sweep()
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
    ids = server.message_ids
    assert len(ids) == len(emails) == len(set(ids))  # every e-mail delivered, exactly once
    assert sorted(m["To"] for m in server.messages) == sorted(e.to for e in emails)


def test_a_mute_smtp_server_costs_the_request_one_short_timeout(smtp_settings, django_capture_on_commit_callbacks, settings):
    """It used to hold the request 6 × 20 s. Now: one attempt, with the short in-request timeout, then the
    sweep's turn (the time bound follows from one attempt × OUTBOX_EAGER_SMTP_TIMEOUT)."""
    settings.OUTBOX_EAGER_SMTP_TIMEOUT = 1
    smtp_settings.mute = True
    smtp_settings.start()
    _record_batch(3, django_capture_on_commit_callbacks)
    rows = list(OutboundEmail.objects.order_by("pk").values_list("status", "attempts", "last_error"))
    assert [(s, a) for s, a, _ in rows] == [("queued", 1), ("queued", 0), ("queued", 0)]
    assert "timed out" in rows[0][2]
    # SMTP answers again: the sweep delivers all three, once.
    smtp_settings.stop()
    smtp_settings.mute = False
    smtp_settings.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=15), tick=True), \
            django_capture_on_commit_callbacks(execute=True):
        outbox_sweep()
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
    assert len(set(smtp_settings.message_ids)) == len(smtp_settings.messages) == 3


def test_outbox_admin_shows_what_waits_and_why(smtp_settings, django_capture_on_commit_callbacks, admin_client):
    _record_batch(2, django_capture_on_commit_callbacks)  # SMTP down
    page = admin_client.get("/admin/portal/outboundemail/?status__exact=queued").content.decode()
    assert "En attente" in page and "prochaine tentative" in page.lower()
    assert "Connection refused" in page  # the reason, in the list


def test_without_a_broker_the_sweep_runs_after_a_request_at_most_once_a_minute(
        smtp_settings, django_capture_on_commit_callbacks, settings, client):
    settings.OUTBOX_SWEEP_IN_REQUESTS = True
    _record_batch(1, django_capture_on_commit_callbacks)  # SMTP down: waits for its retry
    smtp_settings.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=True):
        with django_capture_on_commit_callbacks(execute=True):
            client.get("/compte/login/")
        assert OutboundEmail.objects.get().status == "sent"
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            client.get("/compte/login/")  # within the minute: no second sweep
        assert callbacks == []
    assert len(smtp_settings.messages) == 1
    second = _record_batch(1, django_capture_on_commit_callbacks)[0]  # sent at once: SMTP is back
    assert OutboundEmail.objects.get(pk=second.pk).status == "sent"
