"""Thin Celery wrappers around the allocation services: ids in, objects reloaded, the service called."""
from celery import shared_task
from django.contrib.auth import get_user_model

from .models import RequestPhase
from .services import allocation_dry_run, allocation_publish


def _load(phase_id, user_id):
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return RequestPhase.objects.select_related("window__activity").get(pk=phase_id), user


@shared_task
def simulate(phase_id, user_id=None):
    """A dry run: figures recorded, nothing booked (re-runnable)."""
    phase, user = _load(phase_id, user_id)
    return allocation_dry_run(phase=phase, by=user).pk


@shared_task
def publish(phase_id, user_id=None):
    """Publish the allocation (idempotent: a published phase is left as it is)."""
    phase, user = _load(phase_id, user_id)
    return allocation_publish(phase=phase, by=user).pk
