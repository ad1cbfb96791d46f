"""The family file's steps of the daily housekeeping (registered in portal.housekeeping): old invitations."""
from datetime import timedelta

from django.conf import settings

from portal.conf import setting
from portal.housekeeping import register_step

from .models import Invitation


def invitations_expire(*, now):
    """An invitation not used within ``INVITATION_VALIDITY_DAYS`` of being sent stops working now
    (covers links made before the validity was shortened). Returns how many were expired."""
    sent_before = now - timedelta(days=settings.INVITATION_VALIDITY_DAYS)
    return Invitation.objects.filter(used_at__isnull=True, expires_at__gt=now, created_at__lte=sent_before).update(
        expires_at=now
    )


def invitations_purge(*, now):
    """Delete unused invitations expired for more than ``INVITATION_PURGE_DAYS`` (their link is dead;
    the audit log keeps who invited whom). Used invitations stay: they date the account's activation."""
    limit = now - timedelta(days=setting("INVITATION_PURGE_DAYS"))
    deleted, _ = Invitation.objects.filter(used_at__isnull=True, expires_at__lt=limit).delete()
    return deleted


register_step(invitations_expire, "invitations expirées (non utilisées à temps)", order=10)
register_step(invitations_purge, "anciennes invitations expirées supprimées", order=20)
