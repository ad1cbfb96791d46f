"""Tasks queued by name after commit (portal.queue): run in-process without a broker, never before the
commit, nothing on rollback, a broker failure logged and never raised."""
from unittest import mock

import pytest
from celery import current_app
from django.core import mail
from django.db import transaction

from billing.services import invoice_pdfs  # noqa: F401 - its tasks' module, as the web process loads it
from portal import mail as portal_mail
from portal.models import OutboundEmail
from portal.queue import enqueue, enqueue_on_commit
from portal.tasks import email_send

pytestmark = pytest.mark.django_db

TASK = "portal.tasks.email_send"


def outbox_row():
    return OutboundEmail.objects.create(to="parent@example.org", subject="Objet", body_text="Texte")


def test_without_a_broker_the_task_runs_in_process_after_the_commit(django_capture_on_commit_callbacks):
    email = outbox_row()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        enqueue_on_commit(TASK, email.pk)
        email.refresh_from_db()
        assert email.status == "queued" and not mail.outbox  # not before the commit
    assert [c.args[0] for c in callbacks] == [TASK]
    email.refresh_from_db()
    assert email.status == "sent" and len(mail.outbox) == 1


def test_nothing_is_queued_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    email = outbox_row()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue_on_commit(TASK, email.pk)
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
    assert callbacks == []
    email.refresh_from_db()
    assert email.status == "queued" and not mail.outbox


def test_a_broker_failure_after_commit_is_logged_not_raised(django_capture_on_commit_callbacks, caplog):
    email = outbox_row()
    with mock.patch.object(email_send, "apply_async", side_effect=ConnectionError("Redis injoignable")) as send:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue_on_commit(TASK, email.pk)  # must not raise in the caller
    send.assert_called_once_with((email.pk,), {})
    assert f"Could not queue task {TASK}" in caplog.text
    email.refresh_from_db()
    assert email.status == "queued"  # left for the outbox sweep


def test_an_unregistered_name_is_refused_rather_than_sent_nowhere(django_capture_on_commit_callbacks, caplog):
    with pytest.raises(LookupError):
        enqueue("portal.tasks.no_such_task")
    with django_capture_on_commit_callbacks(execute=True):
        enqueue_on_commit("portal.tasks.no_such_task")
    assert "Could not queue task portal.tasks.no_such_task" in caplog.text


def test_every_task_the_services_queue_by_name_is_registered_in_the_web_process():
    names = {portal_mail.EMAIL_SEND_TASK, "billing.tasks.invoice_pdfs_render", "enrolment.tasks.waiting_list_serve",
             "enrolment.tasks.waiting_list_serve_days"}
    assert names <= set(current_app.tasks)
