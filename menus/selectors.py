"""Bounded reads of the menus: a family's sites, the week or month of a site, the children to warn."""
import datetime

from django.db.models import Exists, OuterRef

from enrolment.models import Enrolment, Structure
from families.models import Child

from . import rules
from .models import Dish, Menu


def family_sites(*, family):
    """The sites (équipements) where the family's children are enrolled (pending or validated) and that
    publish menus (1 query)."""
    enrolled = Enrolment.objects.filter(
        activity__activity_type__structure=OuterRef("pk"), child__family=family, child__is_active=True,
        status__in=Enrolment.ACTIVE_STATUSES,
    )
    published = Menu.objects.filter(structure=OuterRef("pk"), is_published=True)
    return list(Structure.objects.filter(Exists(enrolled), Exists(published)).order_by("name"))


def site_children(*, family, structure):
    """The family's children enrolled at ``structure``, with their health sheet (1 query)."""
    return list(
        Child.objects.for_family(family).filter(
            is_active=True, enrolments__activity__activity_type__structure=structure,
            enrolments__status__in=Enrolment.ACTIVE_STATUSES,
        ).select_related("health").distinct().order_by("birth_date", "pk")
    )


def _declared(children):
    return [(child.first_name, getattr(getattr(child, "health", None), "food_allergens", "")) for child in children]


def dishes_between(*, structure, first, last, children):
    """The published dishes of ``structure`` from ``first`` to ``last``, by day (1 query):
    [{"day", "dishes": [{"dish", "alerts"}]}], each dish with the children it concerns (``rules.dish_alerts``)."""
    dishes = sorted(
        Dish.objects.filter(menu__structure=structure, menu__is_published=True, day__range=(first, last)),
        key=lambda dish: (dish.day, Dish.COURSE_ORDER.get(dish.course, 99), dish.pk),
    )
    declared = _declared(children)
    days = []
    for dish in dishes:
        if not days or days[-1]["day"] != dish.day:
            days.append({"day": dish.day, "dishes": []})
        days[-1]["dishes"].append({"dish": dish, "alerts": rules.dish_alerts(dish.allergens, declared)})
    return days


def site_notes(*, structure, first, last):
    """The families' notes of the published menus covering the period (1 query)."""
    return [note for note in Menu.objects.filter(
        structure=structure, is_published=True, starts_on__lte=last, ends_on__gte=first,
    ).exclude(notes="").order_by("starts_on").values_list("notes", flat=True)]


def week(*, structure, monday, children):
    return dishes_between(structure=structure, first=monday, last=monday + datetime.timedelta(days=6), children=children)
