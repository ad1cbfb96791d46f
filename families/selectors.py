"""Non-trivial reads of the family file, each in a bounded number of queries."""
from django.db.models import Prefetch

from .models import ChangeRequest, Child, Guardian


def family_home_summary(*, family):
    """Greeting data for the home page: guardians and active children (2 queries)."""
    return {
        "family": family,
        "guardians": list(Guardian.objects.filter(family=family).order_by("rank")),
        "children": list(Child.objects.filter(family=family, is_active=True).order_by("birth_date")),
        "pending_change_requests": ChangeRequest.objects.filter(
            family=family, status=ChangeRequest.Status.PENDING
        ).count(),
    }


def family_children_sheets(*, family):
    """Every active child with health sheet, vaccines and authorised persons (4 queries)."""
    return list(
        Child.objects.filter(family=family, is_active=True)
        .select_related("health")
        .prefetch_related(
            "vaccinations",
            Prefetch("authorised_persons"),
        )
        .order_by("birth_date")
    )
