"""Daily housekeeping: invitations, expired links and old bodies in the outbox, job log; idempotent."""
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from families import housekeeping as family_housekeeping
from families.models import Invitation
from families.tests.factories import GuardianFactory
from portal import housekeeping
from portal.celery import app
from portal.models import JobRun, OutboundEmail
from portal.tasks import email_send, housekeeping_daily

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 3, 30, tzinfo=ZoneInfo("Europe/Paris"))


def invitation(guardian, *, sent_days_ago, valid_days=14, used=False, token):
    created = NOW - timedelta(days=sent_days_ago)
    inv = Invitation.objects.create(
        guardian=guardian, token_hash=token, expires_at=created + timedelta(days=valid_days),
        used_at=created + timedelta(days=1) if used else None,
    )
    Invitation.objects.filter(pk=inv.pk).update(created_at=created)
    return inv


def outbox_row(*, template, days_ago, status="sent"):
    with mock.patch.object(email_send, "apply_async"):
        email = OutboundEmail.objects.create(
            to="parent@example.org", subject="Objet", body_text="https://portail/lien-secret",
            body_html="<a href='https://portail/lien-secret'>lien</a>", template=template, status=status,
        )
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=NOW - timedelta(days=days_ago))
    return email


@pytest.fixture
def guardian():
    return GuardianFactory()


def test_invitations_not_used_in_time_expire(guardian, settings):
    settings.INVITATION_VALIDITY_DAYS = 14
    # sent 20 days ago with a 30-day link (validity since shortened): expires now
    long_link = invitation(guardian, sent_days_ago=20, valid_days=30, token="a" * 64)
    recent = invitation(guardian, sent_days_ago=2, token="b" * 64)
    used = invitation(guardian, sent_days_ago=20, valid_days=30, used=True, token="c" * 64)
    assert family_housekeeping.invitations_expire(now=NOW) == 1
    long_link.refresh_from_db()
    recent.refresh_from_db()
    used.refresh_from_db()
    assert long_link.expires_at == NOW and not long_link.is_usable(now=NOW)
    assert recent.is_usable(now=NOW)
    assert used.expires_at == NOW - timedelta(days=20) + timedelta(days=30)
    assert family_housekeeping.invitations_expire(now=NOW) == 0


def test_long_expired_unused_invitations_are_deleted(guardian, settings):
    settings.INVITATION_PURGE_DAYS = 90
    old = invitation(guardian, sent_days_ago=200, token="d" * 64)
    just_expired = invitation(guardian, sent_days_ago=30, token="e" * 64)
    old_used = invitation(guardian, sent_days_ago=400, used=True, token="f" * 64)
    assert family_housekeeping.invitations_purge(now=NOW) == 1
    assert set(Invitation.objects.values_list("pk", flat=True)) == {just_expired.pk, old_used.pk}
    assert not Invitation.objects.filter(pk=old.pk).exists()


def test_expired_password_links_are_erased_from_the_outbox(settings):
    settings.PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
    settings.INVITATION_VALIDITY_DAYS = 14
    old_reset = outbox_row(template="password_reset_key", days_ago=4)
    fresh_reset = outbox_row(template="password_reset_key", days_ago=1)
    old_invitation = outbox_row(template="invitation", days_ago=15)
    fresh_invitation = outbox_row(template="invitation", days_ago=10)
    other = outbox_row(template="booking_recap", days_ago=10)
    still_queued = outbox_row(template="password_reset_key", days_ago=4, status="queued")
    assert housekeeping.outbox_secret_links_erase(now=NOW) == 2
    for email in (old_reset, old_invitation):
        email.refresh_from_db()
        assert email.body_text == "[Contenu effacé le 23/11/2026 : lien expiré.]"
        assert email.body_html == "" and email.body_purged_at == NOW
        assert email.to == "parent@example.org" and email.subject == "Objet"
    for email in (fresh_reset, fresh_invitation, other, still_queued):
        email.refresh_from_db()
        assert "lien-secret" in email.body_text and email.body_purged_at is None


def test_old_bodies_are_erased_after_the_retention_period(settings):
    settings.OUTBOX_BODY_RETENTION_DAYS = 30
    old_sent = outbox_row(template="booking_recap", days_ago=31)
    old_failed = outbox_row(template="invoice_issued", days_ago=45, status="failed")
    recent = outbox_row(template="booking_recap", days_ago=29)
    old_queued = outbox_row(template="booking_recap", days_ago=40, status="queued")
    assert housekeeping.outbox_bodies_erase(now=NOW) == 2
    old_sent.refresh_from_db()
    assert old_sent.body_text == "[Contenu effacé le 23/11/2026 : durée de conservation de 30 jours dépassée.]"
    assert OutboundEmail.objects.filter(body_purged_at__isnull=True).count() == 2
    assert set(OutboundEmail.objects.filter(body_purged_at__isnull=True).values_list("pk", flat=True)) == {
        recent.pk, old_queued.pk,
    }
    assert old_failed.pk != recent.pk


def test_old_job_runs_are_deleted(settings):
    settings.JOB_RUN_RETENTION_DAYS = 365
    JobRun.objects.create(name="x", label="X", now=NOW, started_at=NOW - timedelta(days=400), status="success")
    kept = JobRun.objects.create(name="x", label="X", now=NOW, started_at=NOW - timedelta(days=10), status="success")
    assert housekeeping.job_runs_purge(now=NOW) == 1
    assert list(JobRun.objects.values_list("pk", flat=True)) == [kept.pk]


def test_runs_left_running_by_a_dead_worker_are_marked_failed():
    stale = JobRun.objects.create(name="x", label="X", now=NOW, started_at=NOW - timedelta(hours=7))
    current = JobRun.objects.create(name="y", label="Y", now=NOW, started_at=NOW - timedelta(minutes=5))
    assert housekeeping.job_runs_interrupted(now=NOW) == 1
    stale.refresh_from_db()
    current.refresh_from_db()
    assert (stale.status, stale.finished_at) == ("failed", NOW)
    assert stale.summary == "Interrompue : toujours en cours après 6 heures (arrêt du worker ?)."
    assert current.status == "running"
    assert housekeeping.job_runs_interrupted(now=NOW) == 0


def test_daily_job_logs_in_french_and_running_it_twice_changes_nothing_more(guardian, settings):
    settings.INVITATION_VALIDITY_DAYS = 14
    settings.OUTBOX_BODY_RETENTION_DAYS = 90
    invitation(guardian, sent_days_ago=20, valid_days=30, token="g" * 64)
    invitation(guardian, sent_days_ago=300, token="h" * 64)
    outbox_row(template="password_reset_key", days_ago=5)
    outbox_row(template="booking_recap", days_ago=100)

    first = housekeeping_daily(now=NOW)
    snapshot = (
        list(Invitation.objects.order_by("pk").values_list("pk", "expires_at")),
        list(OutboundEmail.objects.order_by("pk").values_list("pk", "body_text", "body_purged_at")),
    )
    second = housekeeping_daily(now=NOW + timedelta(hours=1))

    assert first["status"] == "success"
    assert first["counts"] == {
        "invitations expirées (non utilisées à temps)": 1,
        "anciennes invitations expirées supprimées": 1,
        "e-mails à lien expiré dont le contenu a été effacé": 1,
        "anciens e-mails dont le contenu a été effacé": 1,
    }
    assert "invitations expirées (non utilisées à temps) : 1" in first["summary"]
    assert second["summary"] == "Rien à faire."
    assert snapshot == (
        list(Invitation.objects.order_by("pk").values_list("pk", "expires_at")),
        list(OutboundEmail.objects.order_by("pk").values_list("pk", "body_text", "body_purged_at")),
    )
    runs = JobRun.objects.order_by("started_at")
    assert [r.label for r in runs] == ["Entretien quotidien (invitations, conservation des données)"] * 2


def test_beat_schedule_declares_the_portal_jobs():
    schedule = app.conf.beat_schedule
    tasks = {entry["task"] for entry in schedule.values()}
    assert {"portal.tasks.outbox_sweep", "portal.tasks.housekeeping_daily"} <= tasks
    app.loader.import_default_modules()
    missing = tasks - set(app.tasks)
    assert not missing, f"beat_schedule names tasks that do not exist: {missing}"


def test_now_default_is_current_time():
    result = housekeeping_daily()
    run = JobRun.objects.get(pk=result["job_run"])
    assert abs(run.now - timezone.now()) < timedelta(minutes=1)


def test_daily_job_never_marks_its_own_run_interrupted():
    result = housekeeping_daily(now=timezone.now() + timedelta(days=2))
    assert result["status"] == "success"
    assert JobRun.objects.get().status == "success"
