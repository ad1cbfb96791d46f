import datetime

from enrolment.tests.factories import ActivityFactory, ActivityTypeFactory, GroupFactory, StructureFactory, enrol
from families.models import ChildHealth
from menus.models import Dish, Menu

MONDAY = datetime.date(2026, 3, 9)  # a Monday of the 2025/2026 season


def site_with_child(child, *, name="Restaurant scolaire Jules Ferry"):
    """A catering site where ``child`` is enrolled (validated)."""
    structure = StructureFactory(name=name, kind="catering")
    activity = ActivityFactory(activity_type=ActivityTypeFactory(structure=structure, name="Restauration", kind="catering"))
    enrol(child, activity, GroupFactory(activity=activity))
    return structure


def declare(child, *, allergies="", codes=""):
    ChildHealth.objects.update_or_create(child=child, defaults={"allergies": allergies, "food_allergens": codes})


def week_menu(structure, *, monday=MONDAY, days=(0, 1, 3, 4), published=True):
    """A published week: on each day a starter with mustard, a main with fish and eggs, a dessert with nuts."""
    menu = Menu.objects.create(structure=structure, starts_on=monday, ends_on=monday + datetime.timedelta(days=4),
                               is_published=published, title=f"Semaine du {monday:%d/%m}")
    for offset in days:
        day = monday + datetime.timedelta(days=offset)
        Dish.objects.bulk_create([
            Dish(menu=menu, day=day, course="starter", name=f"Carottes râpées {offset}", allergens="mustard", is_organic=True),
            Dish(menu=menu, day=day, course="main", name=f"Poisson pané {offset}", allergens="fish,eggs,gluten"),
            Dish(menu=menu, day=day, course="dessert", name=f"Gâteau aux amandes {offset}", allergens="nuts,eggs,milk,gluten",
                 is_homemade=True),
            Dish(menu=menu, day=day, course="side", name=f"Haricots verts {offset}", is_vegetarian=True, is_local=True),
        ])
    return menu
