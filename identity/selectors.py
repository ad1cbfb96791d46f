"""Bounded reads of the identity app."""
import datetime

from django.db.models import Q

from families.models import Family


def registration_duplicates(reg, *, limit=10):
    """Families that may already be this request's: a guardian with the same name or e-mail, or a child with the
    same first name and birth date. One query, at most ``limit`` families."""
    query = Q(guardians__email__iexact=reg.user.email) if reg.user.email else Q()
    for guardian in reg.data.get("guardians") or []:
        if guardian.get("last_name") and guardian.get("first_name"):
            query |= Q(guardians__last_name__iexact=guardian["last_name"],
                       guardians__first_name__iexact=guardian["first_name"])
    for child in reg.data.get("children") or []:
        try:
            born = datetime.date.fromisoformat(child.get("birth_date") or "")
        except ValueError:
            continue
        query |= Q(children__first_name__iexact=child.get("first_name", ""), children__birth_date=born)
    if not query:
        return []
    return list(Family.objects.filter(query).distinct().order_by("name", "number")[:limit])
