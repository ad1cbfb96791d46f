"""portal.jobs: every run is recorded for staff, period guard, overlap guard, failures."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from celery import shared_task
from django.core.cache import cache

from portal.jobs import JobSkipped, job_run, now_parse, periodic_job
from portal.models import JobRun

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 20, 6, 0, tzinfo=PARIS)

calls = []


@periodic_job("Tâche d'essai")
def sample_job(*, now, run, items=3):
    calls.append(now)
    run.add("éléments traités", items)
    run.note("Période de novembre")


@periodic_job("Tâche mensuelle d'essai", once_per="month")
def monthly_job(*, now, run):
    calls.append(now)
    run.add("factures émises", 2)


@periodic_job("Tâche qui échoue")
def failing_job(*, now, run):
    run.add("lignes lues", 1)
    raise RuntimeError("serveur injoignable")


@periodic_job("Tâche sans travail", keep_idle=False)
def idle_job(*, now, run):
    return None


@periodic_job("Tâche ignorée")
def skipping_job(*, now, run):
    raise JobSkipped("Aucune régie configurée.")


sample_task = shared_task(name="portal.tests.test_jobs.sample_task")(sample_job)


@pytest.fixture(autouse=True)
def _reset_calls():
    calls.clear()


def test_run_is_recorded_with_french_summary():
    result = sample_job(now=NOW)
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.SUCCESS
    assert run.name == "portal.tests.test_jobs.sample_job"
    assert run.label == "Tâche d'essai"
    assert run.now == NOW
    assert run.summary == "éléments traités : 3\nPériode de novembre"
    assert run.counts == {"éléments traités": 3}
    assert run.finished_at >= run.started_at
    assert result == {"job_run": run.pk, "status": "success", "summary": run.summary, "counts": run.counts}
    assert calls == [NOW]


def test_now_defaults_to_current_time_and_accepts_iso_strings():
    sample_job()
    sample_job(now="2026-11-20T06:00:00+01:00")
    assert calls[1] == NOW
    assert calls[0].tzinfo is not None


def test_naive_now_is_made_aware_in_paris_time():
    assert now_parse(datetime(2026, 3, 29, 3, 30)).utcoffset().total_seconds() == 7200


def test_extra_arguments_pass_through_and_celery_task_runs_eagerly():
    sample_task.delay(now=NOW.isoformat(), items=7)
    assert JobRun.objects.get().counts == {"éléments traités": 7}


def test_once_per_month_skips_second_run_of_same_month():
    monthly_job(now=NOW)
    second = monthly_job(now=NOW.replace(day=28))
    monthly_job(now=datetime(2026, 12, 1, 6, 0, tzinfo=PARIS))
    assert len(calls) == 2
    assert second["status"] == "skipped"
    statuses = list(JobRun.objects.order_by("started_at", "pk").values_list("period_key", "status"))
    assert statuses == [("2026-11", "success"), ("2026-11", "skipped"), ("2026-12", "success")]
    assert JobRun.objects.filter(status="skipped").get().summary == "Déjà faite pour la période 2026-11."


def test_failure_is_recorded_then_propagates():
    with pytest.raises(RuntimeError):
        failing_job(now=NOW)
    run = JobRun.objects.get()
    assert run.status == JobRun.Status.FAILED
    assert run.summary.startswith("Échec : serveur injoignable")
    assert "lignes lues : 1" in run.summary
    assert "RuntimeError" in run.error
    # the lock is released: the next run goes ahead
    sample_job(now=NOW)
    assert JobRun.objects.filter(status="success").count() == 1


def test_overlapping_run_is_skipped():
    with job_run("portal.tests.overlap", "Chevauchement", now=NOW) as outer:
        assert outer is not None
        with job_run("portal.tests.overlap", "Chevauchement", now=NOW) as inner:
            assert inner is None
    skipped = JobRun.objects.get(status="skipped")
    assert skipped.summary == "Une exécution précédente est encore en cours."
    assert cache.get("portal-job-lock:portal.tests.overlap") is None


def test_idle_run_leaves_no_record_when_asked():
    result = idle_job(now=NOW)
    assert result["summary"] == "Rien à faire."
    assert not JobRun.objects.exists()


def test_job_skipped_exception_records_reason():
    skipping_job(now=NOW)
    run = JobRun.objects.get()
    assert (run.status, run.summary) == ("skipped", "Aucune régie configurée.")


def test_job_without_run_argument_is_refused():
    with pytest.raises(TypeError):
        periodic_job("Mauvaise tâche")(lambda now: None)
