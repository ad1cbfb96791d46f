"""Writes of the menus that cross rows."""
import datetime

from django.db import transaction

from .models import Dish, Menu


def menu_copy(*, menu, days):
    """A copy of ``menu`` and its dishes shifted by ``days``, not published: staff check it, then publish."""
    shift = datetime.timedelta(days=days)
    with transaction.atomic():
        copy = Menu.objects.create(
            structure=menu.structure, title="", starts_on=menu.starts_on + shift, ends_on=menu.ends_on + shift,
            is_published=False, notes=menu.notes,
        )
        Dish.objects.bulk_create([
            Dish(menu=copy, day=dish.day + shift, course=dish.course, name=dish.name, allergens=dish.allergens,
                 is_organic=dish.is_organic, is_local=dish.is_local, is_homemade=dish.is_homemade,
                 is_vegetarian=dish.is_vegetarian)
            for dish in menu.dishes.all()
        ])
    return copy
