"""Defaults of the outbox and housekeeping settings; any of them can be set in settings.py."""
from django.conf import settings

DEFAULTS = {
    # Sending: attempts before an e-mail is « Échec », first retry delay (doubles each time) and its cap.
    "OUTBOX_MAX_ATTEMPTS": 6,
    "OUTBOX_RETRY_BASE_SECONDS": 30,
    "OUTBOX_RETRY_MAX_SECONDS": 900,
    # Without a broker, e-mails are sent inside the request that caused them: SMTP timeout of each
    # attempt there, and the seconds one request may spend sending before leaving the rest to the sweep.
    "OUTBOX_EAGER_SMTP_TIMEOUT": 3,
    "OUTBOX_EAGER_BUDGET_SECONDS": 5,
    # Retention: bodies of sent/failed e-mails, job log, unused expired invitations.
    "OUTBOX_BODY_RETENTION_DAYS": 90,
    "JOB_RUN_RETENTION_DAYS": 365,
    "INVITATION_PURGE_DAYS": 90,
}


def setting(name):
    return getattr(settings, name, DEFAULTS[name])
