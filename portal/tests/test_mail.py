"""The outbox: recorded in the caller's transaction, sent once, retried with backoff, swept, re-queued."""
import smtplib
import threading
from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from portal.mail import (
    SECRET_TEMPLATES, email_deliver, email_queue, email_queue_many, email_record, email_requeue, error_is_permanent,
    retry_delay,
)
from portal.models import AuditLog, JobRun, Organisation, OutboundEmail
from portal.tasks import broker_backlog, email_send, outbox_sweep
from portal.tests import mail_backends

pytestmark = pytest.mark.django_db

SAMPLE = {
    "emails/sample.subject.txt": "Réservations de {{ child }}",
    "emails/sample.txt": '{% extends "emails/base.txt" %}{% block body %}Bonjour,\nLes réservations de {{ child }} sont enregistrées.{% endblock %}',
    "emails/sample.html": '{% extends "emails/base.html" %}{% block body %}<p>Bonjour,</p><p>Les réservations de {{ child }} sont enregistrées.</p>{% endblock %}',
}


@pytest.fixture
def sample_template(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [settings.BASE_DIR / "templates"],
            "OPTIONS": {
                "loaders": [
                    ("django.template.loaders.locmem.Loader", SAMPLE),
                    "django.template.loaders.filesystem.Loader",
                    "django.template.loaders.app_directories.Loader",
                ],
            },
        }
    ]


@pytest.fixture
def flaky_backend(settings):
    settings.EMAIL_BACKEND = "portal.tests.mail_backends.FlakyBackend"
    settings.OUTBOX_RETRY_BASE_SECONDS = 0
    mail_backends.flaky(0)
    yield mail_backends
    mail_backends.flaky(0)


def record(**kwargs):
    values = {"to": "parent@example.org", "subject": "Objet", "body_text": "Texte", "body_html": "<p>Texte</p>"}
    return email_record(**{**values, **kwargs})


def test_email_queue_sends_french_html_and_text_with_organisation_and_link(
    sample_template, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://familles.example.org"
    Organisation.objects.update_or_create(pk=1, defaults={"name": "Mairie de Testville", "short_name": "Testville"})
    with django_capture_on_commit_callbacks(execute=True):
        email = email_queue(to="parent@example.org", template="sample", context={"child": "Léa"})
    assert mail.outbox, "the e-mail must be sent after commit"
    message = mail.outbox[0]
    assert message.subject == "[Testville] Réservations de Léa"
    assert "Les réservations de Léa sont enregistrées." in message.body
    assert message.to == ["parent@example.org"]
    assert "Mairie de Testville" in message.body
    assert "https://familles.example.org/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html"
    assert '<html lang="fr">' in html
    assert "Mairie de Testville" in html and 'href="https://familles.example.org/"' in html
    assert message.extra_headers["Message-ID"].startswith(f"<outbox.{email.pk}.")
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 1, "")
    assert email.sent_at is not None


def test_subject_and_text_are_not_html_escaped_but_html_is(sample_template, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email_queue(to="parent@example.org", template="sample", context={"child": "Zoé & Léo d'Arc <3"})
    message = mail.outbox[0]
    assert message.subject.endswith("Réservations de Zoé & Léo d'Arc <3")
    assert "Les réservations de Zoé & Léo d'Arc <3 sont enregistrées." in message.body
    assert "Zoé &amp; Léo d&#x27;Arc &lt;3" in message.alternatives[0][0]


def test_email_queue_without_address_records_nothing(sample_template):
    assert email_queue(to="", template="sample", context={"child": "Léa"}) is None
    assert not OutboundEmail.objects.exists()


def test_related_object_is_remembered(django_user_model):
    user = django_user_model.objects.create(username="u1", email="u1@example.org")
    email = record(related=user)
    assert (email.related_type, email.related_id, email.related_label) == ("auth.User", str(user.pk), "u1")


def test_nothing_is_sent_before_commit_and_nothing_at_all_on_rollback(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                record()
                assert not mail.outbox
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not OutboundEmail.objects.exists()
    assert not mail.outbox


def test_broker_down_after_commit_keeps_the_row_for_the_sweep(django_capture_on_commit_callbacks):
    with mock.patch.object(email_send, "apply_async", side_effect=ConnectionError("Redis injoignable")):
        with django_capture_on_commit_callbacks(execute=True):
            email = record()  # must not raise in the caller
    email.refresh_from_db()
    assert email.status == "queued" and not mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        outbox_sweep(now=timezone.now() + timedelta(minutes=11))
    email.refresh_from_db()
    assert email.status == "sent"
    assert len(mail.outbox) == 1


def test_redelivered_task_sends_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        email = record()
    assert email_send.delay(email.pk).get() == "skipped"
    assert email_send.apply(args=[email.pk]).get() == "skipped"
    assert len(mail.outbox) == 1


def test_task_for_a_missing_row_does_nothing():
    assert email_send.apply(args=[987654]).get() == "missing"


def test_smtp_failing_twice_then_succeeding_sends_one_email(flaky_backend, django_capture_on_commit_callbacks):
    """Without a broker, one attempt in the request; the sweep retries when due (issue 15: the eager mode
    used to spend every attempt at once)."""
    flaky_backend.flaky(2)
    with django_capture_on_commit_callbacks(execute=True):
        email = record()
    email.refresh_from_db()
    assert (email.status, email.attempts, flaky_backend.state["calls"]) == ("queued", 1, 1)
    for minutes in (1, 5):
        with django_capture_on_commit_callbacks(execute=True):
            outbox_sweep(now=timezone.now() + timedelta(minutes=minutes))
    assert len(mail.outbox) == 1
    assert flaky_backend.state["calls"] == 3
    email.refresh_from_db()
    assert (email.status, email.attempts, email.last_error) == ("sent", 3, "")


def test_smtp_always_failing_ends_failed_with_the_error(flaky_backend, settings, django_capture_on_commit_callbacks):
    settings.OUTBOX_MAX_ATTEMPTS = 4
    flaky_backend.flaky(10)
    with django_capture_on_commit_callbacks(execute=True):
        email = record()
    for minutes in (1, 2, 4, 8, 16):
        with django_capture_on_commit_callbacks(execute=True):
            outbox_sweep(now=timezone.now() + timedelta(minutes=minutes))
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 4)
    assert email.last_error == "SMTPServerDisconnected: Connexion fermée par le serveur"
    assert not mail.outbox
    # a stray redelivery of a failed e-mail does not send it either
    assert email_send.apply(args=[email.pk]).get() == "skipped"
    assert not mail.outbox


def test_permanent_refusal_fails_at_once(flaky_backend, django_capture_on_commit_callbacks):
    refused = smtplib.SMTPRecipientsRefused({"parent@example.org": (550, b"No such user")})
    flaky_backend.flaky(5, error=refused)
    with django_capture_on_commit_callbacks(execute=True):
        email = record()
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("failed", 1)
    assert "SMTPRecipientsRefused" in email.last_error


def test_transient_failure_leaves_row_queued_with_backoff(flaky_backend, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    flaky_backend.flaky(1)
    email = record()
    now = timezone.now()
    delivery = email_deliver(email_id=email.pk, now=now)
    assert (delivery.status, delivery.retry_in) == ("retry", 30)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("queued", 1)
    assert email.next_attempt_at == now + timedelta(seconds=30)
    # an early duplicate of the task does not jump the backoff; the scheduled retry sends
    assert email_deliver(email_id=email.pk, now=now + timedelta(seconds=3)).status == "not_due"
    assert email_deliver(email_id=email.pk, now=now + timedelta(seconds=30)).status == "sent"
    assert len(mail.outbox) == 1


def test_retry_delay_doubles_and_is_capped(settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 30
    settings.OUTBOX_RETRY_MAX_SECONDS = 900
    assert [retry_delay(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]


def test_error_classification():
    assert not error_is_permanent(smtplib.SMTPServerDisconnected("x"))
    assert not error_is_permanent(ConnectionRefusedError())
    assert not error_is_permanent(smtplib.SMTPRecipientsRefused({"a@b.fr": (451, b"try later")}))
    assert error_is_permanent(smtplib.SMTPRecipientsRefused({"a@b.fr": (550, b"unknown")}))
    assert not error_is_permanent(SoftTimeLimitExceeded())
    assert error_is_permanent(ValueError("Header values can't contain newlines"))


@pytest.mark.django_db(transaction=True)
def test_second_delivery_while_the_first_is_sending_does_not_send():
    email = OutboundEmail.objects.create(to="parent@example.org", subject="Objet", body_text="Texte")
    results = []

    def other_worker():
        try:
            results.append(email_deliver(email_id=email.pk).status)
        finally:
            connection.close()

    with transaction.atomic():
        OutboundEmail.objects.select_for_update().get(pk=email.pk)  # the first worker holds the row
        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join(10)
    assert results == ["busy"]
    assert not mail.outbox
    assert email_deliver(email_id=email.pk).status == "sent"
    assert len(mail.outbox) == 1


def test_sweep_twice_queues_each_stale_row_once(django_capture_on_commit_callbacks):
    with mock.patch.object(email_send, "apply_async") as delay:
        with django_capture_on_commit_callbacks(execute=True):
            stale = record()
            fresh = record()
        OutboundEmail.objects.filter(pk=stale.pk).update(queued_at=timezone.now() - timedelta(minutes=30))
        delay.reset_mock()
        now = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            first = outbox_sweep(now=now)
        with django_capture_on_commit_callbacks(execute=True):
            second = outbox_sweep(now=now + timedelta(minutes=1))
    assert delay.call_args_list == [mock.call((stale.pk,), {})]  # queued by name: portal.queue.enqueue
    assert first["counts"] == {"e-mails remis en file d'envoi": 1}
    assert second["summary"] == "Rien à faire."
    run = JobRun.objects.get()  # idle runs leave no record
    assert run.label == "Relance des e-mails restés en attente"
    assert fresh.pk != stale.pk


def test_sweep_waits_longer_while_the_broker_has_a_backlog(django_capture_on_commit_callbacks):
    now = timezone.now()
    with mock.patch.object(email_send, "apply_async"):
        email = record()
    OutboundEmail.objects.filter(pk=email.pk).update(queued_at=now - timedelta(minutes=30))
    conf = email_send.app.conf
    conf.update(task_always_eager=False)  # a broker, with a backlog
    try:
        with mock.patch("portal.tasks.broker_backlog", return_value=5000), mock.patch.object(email_send, "apply_async") as delay:
            with django_capture_on_commit_callbacks(execute=True):
                outbox_sweep(now=now)
            delay.assert_not_called()
            with django_capture_on_commit_callbacks(execute=True):
                outbox_sweep(now=now + timedelta(minutes=31))
    finally:
        conf.update(task_always_eager=True)
    delay.assert_called_once_with((email.pk,), {})


def test_broker_backlog_is_zero_in_process():
    assert broker_backlog() == 0


def test_sweep_leaves_sent_failed_and_waiting_rows_alone():
    now = timezone.now()
    old = now - timedelta(hours=2)
    with mock.patch.object(email_send, "apply_async"):
        sent = record()
        failed = record()
        waiting = record()
    OutboundEmail.objects.filter(pk=sent.pk).update(status="sent", queued_at=old)
    OutboundEmail.objects.filter(pk=failed.pk).update(status="failed", queued_at=old)
    OutboundEmail.objects.filter(pk=waiting.pk).update(queued_at=old, next_attempt_at=now + timedelta(minutes=5))
    with mock.patch.object(email_send, "apply_async") as delay:
        outbox_sweep(now=now)
    delay.assert_not_called()


def test_sweep_picks_up_a_retry_whose_message_was_lost(django_capture_on_commit_callbacks):
    now = timezone.now()
    with mock.patch.object(email_send, "apply_async"):
        email = record()
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=2, next_attempt_at=now - timedelta(minutes=15))
    with django_capture_on_commit_callbacks(execute=True):
        outbox_sweep(now=now)
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 3)


def test_requeue_of_failed_emails_by_staff(staff_user, django_capture_on_commit_callbacks):
    with mock.patch.object(email_send, "apply_async"):
        failed = record(subject="Facture")
        queued = record()
    OutboundEmail.objects.filter(pk=failed.pk).update(status="failed", attempts=6, last_error="SMTPDataError: 554")
    with django_capture_on_commit_callbacks(execute=True):
        rows = email_requeue(emails=[failed, queued], actor=staff_user)
    assert [r.pk for r in rows] == [failed.pk]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == ("sent", 1)
    assert [m.subject for m in mail.outbox] == ["Facture"]
    entry = AuditLog.objects.get()
    assert (entry.actor, entry.action) == (staff_user, "email_requeue")
    assert entry.old_values["status"] == "failed" and entry.new_values == {"status": "queued"}


def test_secret_templates_are_the_password_links():
    assert SECRET_TEMPLATES == {"password_reset_key", "invitation"}


def test_password_reset_email_has_french_html_and_text_with_organisation_and_link(
    client, parent, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_BASE_URL = "https://familles.example.org"
    Organisation.objects.update_or_create(pk=1, defaults={"name": "Mairie de Testville"})
    user, _ = parent
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/compte/password/reset/", {"email": user.email})
    message = mail.outbox[0]
    assert "Mairie de Testville" in message.body and "https://familles.example.org/" in message.body
    assert "/compte/password/reset/key/" in message.body
    html, mime = message.alternatives[0]
    assert mime == "text/html" and '<html lang="fr">' in html
    assert "Mairie de Testville" in html and "Choisir un nouveau mot de passe" in html
    assert OutboundEmail.objects.get().template == "password_reset_key"


def test_queue_many_renders_a_shared_context_once_and_each_other_context(sample_template, django_capture_on_commit_callbacks):
    shared = {"child": "Léa"}
    with mock.patch("django.template.base.Template.render", autospec=True,
                    side_effect=lambda self, context: f"[{context['child']}]") as render:
        with django_capture_on_commit_callbacks():
            rows = email_queue_many(template="sample", messages=[
                ("a@example.org", shared, None), ("b@example.org", shared, None), ("", shared, None),
                ("c@example.org", {"child": "Hugo"}, None),
            ])
    assert [r.to for r in rows] == ["a@example.org", "b@example.org", "c@example.org"]
    assert rows[0].body_text == rows[1].body_text == "[Léa]" and rows[2].body_text == "[Hugo]"
    assert render.call_count == 6  # subject, text and HTML: once for the shared context, once for the other
    assert OutboundEmail.objects.filter(template="sample").count() == 3
