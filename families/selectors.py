"""Non-trivial reads of the family file, each in a bounded number of queries."""
from datetime import timedelta

from django.db.models import Prefetch, Q
from django.utils import timezone

from .models import ChangeRequest, Child, Guardian, QuotientRecord
from .request_sources import ACCEPTED, PENDING, REFUSED, RequestItem, family_request_list


def family_home_summary(*, family):
    """Greeting data for the home page: active children (1 query); the pending requests are a family
    counter (``pending_change_requests``)."""
    return {
        "family": family,
        "children": list(Child.objects.for_family(family).filter(is_active=True)
                         .only("first_name", "last_name", "school_level").order_by("birth_date")),
    }


def pending_change_requests(*, family):
    """Change requests awaiting staff (``family``: a Family, its id or an OuterRef)."""
    return ChangeRequest.objects.for_family(family).filter(status=ChangeRequest.Status.PENDING)


def family_children_sheets(*, family):
    """Every active child with health sheet, vaccines and authorised persons (4 queries)."""
    return list(
        Child.objects.for_family(family).filter(is_active=True)
        .select_related("health")
        .prefetch_related(
            "vaccinations",
            Prefetch("authorised_persons"),
        )
        .order_by("birth_date")
    )


def family_dossier(*, family):
    """Mon dossier: the guardians, the pending requests on the family and guardians, the latest quotients (3 queries)."""
    pending = list(
        ChangeRequest.objects.filter(
            family=family, status=ChangeRequest.Status.PENDING,
            kind__in=[ChangeRequest.Kind.FAMILY, ChangeRequest.Kind.GUARDIAN],
        ).only("kind", "target_id")
    )
    return {
        "family": family,
        "guardians": list(Guardian.objects.for_family(family).select_related("user").order_by("rank")),
        "family_pending": any(cr.kind == ChangeRequest.Kind.FAMILY for cr in pending),
        "guardians_pending": {cr.target_id for cr in pending if cr.kind == ChangeRequest.Kind.GUARDIAN},
        "quotient_history": family_quotient_history(family=family),
    }


def children_pending_requests(*, family):
    """Pending requests about children, grouped by child id; and new-child requests (1 query)."""
    by_child, new_children = {}, []
    for cr in ChangeRequest.objects.for_family(family).filter(status=ChangeRequest.Status.PENDING).exclude(
        kind__in=[ChangeRequest.Kind.FAMILY, ChangeRequest.Kind.GUARDIAN]
    ).order_by("requested_at"):
        if cr.kind == ChangeRequest.Kind.NEW_CHILD:
            new_children.append(cr)
        else:
            by_child.setdefault(cr.child_id, []).append(cr)
    return by_child, new_children


def family_change_requests(*, family, since, kind=None):
    """The « Mon dossier » source of Mes demandes: change requests of the family file asked or decided since
    ``since`` plus every pending one (1 query)."""
    qs = ChangeRequest.objects.for_family(family).filter(
        Q(status=ChangeRequest.Status.PENDING) | Q(requested_at__gte=since) | Q(decided_at__gte=since)
    )
    if kind:
        qs = qs.filter(kind=kind)
    return [
        RequestItem(
            key=f"cr-{cr.pk}", kind_label=cr.get_kind_display(), title=cr.target_label, asked_at=cr.requested_at,
            status=CHANGE_STATUS[cr.status], decided_at=cr.decided_at, refusal_reason=cr.refusal_reason,
            note="appliquée immédiatement" if cr.status == ChangeRequest.Status.ACCEPTED and not cr.decided_by_id else "",
            changes=tuple((c["label"], c.get("old_display"), c.get("new_display", c["new"])) for c in cr.changes.values()),
        )
        for cr in qs.order_by("-requested_at")
    ]


CHANGE_STATUS = {ChangeRequest.Status.PENDING: PENDING, ChangeRequest.Status.ACCEPTED: ACCEPTED,
                 ChangeRequest.Status.REFUSED: REFUSED}


def family_requests(*, family, kind=None, now=None, days=31):
    """Mes demandes: {section: [RequestItem]}, the requests of every registered source asked or decided in the
    last month plus every pending one, newest first (one query per source)."""
    now = now or timezone.now()
    return family_request_list(family=family, kind=kind, since=now - timedelta(days=days))


def quotient_history_prefetch():
    """Prefetch for many families' validated quotient history (``Family.quotient_on`` on past days), 1 query."""
    return Prefetch("quotient_records", queryset=QuotientRecord.objects.filter(status=QuotientRecord.Status.VALIDATED))


def family_quotient_history(*, family, limit=6):
    """The latest quotient entries of a family, newest first, for Mon dossier (1 query)."""
    return list(QuotientRecord.objects.for_family(family).order_by("-created_at", "-pk")[:limit])
