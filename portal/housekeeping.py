"""Daily housekeeping: expired links and old bodies in the outbox, the job log, and the steps apps register
(families: old invitations).

Every step is idempotent and computed from the database and ``now``.

Password-reset links need no clean-up in the database: django-allauth (through Django's
``PasswordResetTokenGenerator``) makes stateless tokens, signed with the user's password hash and last
login and stamped with their date. A link stops working once used (the password changes), or after
``PASSWORD_RESET_TIMEOUT`` seconds (3 days). The only copy of a link kept by the portal is the body of
the e-mail in the outbox: that body is erased here once the link has expired. The same goes for
invitation e-mails after ``INVITATION_VALIDITY_DAYS``.
"""
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .conf import setting
from .models import JobRun, OutboundEmail

JOB_RUN_STALE_HOURS = 6


def _erase_bodies(queryset, *, now, reason):
    label = timezone.localtime(now).strftime("%d/%m/%Y")
    return queryset.filter(body_purged_at__isnull=True).update(
        body_text=f"[Contenu effacé le {label} : {reason}.]", body_html="", body_purged_at=now
    )


def outbox_secret_links_erase(*, now):
    """Erase the bodies of sent or failed e-mails whose password link has expired
    (the templates listed in ``portal.mail.SECRET_TEMPLATES``)."""
    done = OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED
    reset_before = now - timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    invitation_before = now - timedelta(days=settings.INVITATION_VALIDITY_DAYS)
    expired = Q(template="password_reset_key", created_at__lt=reset_before) | Q(
        template="invitation", created_at__lt=invitation_before
    )
    return _erase_bodies(OutboundEmail.objects.filter(status__in=done).filter(expired), now=now, reason="lien expiré")


def outbox_bodies_erase(*, now):
    """Erase the bodies of sent or failed e-mails older than ``OUTBOX_BODY_RETENTION_DAYS``.
    Recipient, subject, dates and state stay, so staff can still tell whether a family was told."""
    limit = now - timedelta(days=setting("OUTBOX_BODY_RETENTION_DAYS"))
    return _erase_bodies(
        OutboundEmail.objects.filter(
            status__in=(OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED), created_at__lt=limit
        ),
        now=now,
        reason=f"durée de conservation de {setting('OUTBOX_BODY_RETENTION_DAYS')} jours dépassée",
    )


def job_runs_purge(*, now):
    """Delete job records older than ``JOB_RUN_RETENTION_DAYS``."""
    limit = now - timedelta(days=setting("JOB_RUN_RETENTION_DAYS"))
    deleted, _ = JobRun.objects.filter(started_at__lt=limit).exclude(status=JobRun.Status.RUNNING).delete()
    return deleted


def job_runs_interrupted(*, now, current_run=None):
    """Runs still « En cours » after ``JOB_RUN_STALE_HOURS`` (a worker died mid-job) become « Échec »."""
    limit = now - timedelta(hours=JOB_RUN_STALE_HOURS)
    stale = JobRun.objects.filter(status=JobRun.Status.RUNNING, started_at__lt=limit)
    if current_run is not None:
        stale = stale.exclude(pk=current_run.pk)
    return stale.update(
        status=JobRun.Status.FAILED, finished_at=now,
        summary=f"Interrompue : toujours en cours après {JOB_RUN_STALE_HOURS} heures (arrêt du worker ?).",
    )


# Each app registers its own steps (families: old invitations) with ``register_step``: core knows no app.
_steps = []  # [(order, label, step)]


def register_step(step, label, *, order=100):
    """Add ``step(now=) -> count`` to the daily housekeeping; ``label`` names what the count counts."""
    if all(registered is not step for _order, _label, registered in _steps):
        _steps.append((order, label, step))
        _steps.sort(key=lambda entry: entry[0])


def run_all(*, now, run):
    for _order, label, step in _steps:
        count = step(now=now, current_run=run.job_run) if step is job_runs_interrupted else step(now=now)
        if count:
            run.add(label, count)


register_step(job_runs_interrupted, "exécutions interrompues signalées", order=0)
register_step(outbox_secret_links_erase, "e-mails à lien expiré dont le contenu a été effacé", order=40)
register_step(outbox_bodies_erase, "anciens e-mails dont le contenu a été effacé", order=50)
register_step(job_runs_purge, "anciennes exécutions de tâches supprimées", order=60)
