"""Demo menus: four weeks from the current one, school lunches Monday, Tuesday, Thursday and Friday at the
périscolaire site, Wednesday lunch and snack at the leisure centre, each dish with its allergens and labels."""
import datetime

from django.utils import formats, timezone

from enrolment.models import Structure
from portal.demo import register as register_demo

from .models import Dish, Menu
from .rules import week_start

# (course, name, allergen codes, labels: b = bio, l = local, m = fait maison, v = végétarien)
LUNCHES = [
    [("starter", "Carottes râpées vinaigrette", "mustard", "b"), ("main", "Poulet rôti", "", "l"),
     ("side", "Haricots verts", "", ""), ("dairy", "Yaourt nature", "milk", "b"), ("dessert", "Pomme", "", "l")],
    [("starter", "Velouté de potiron", "milk,celery", "m"), ("main", "Poisson pané", "fish,gluten,eggs", ""),
     ("side", "Riz pilaf", "", ""), ("dairy", "Emmental", "milk", ""), ("dessert", "Compote pomme-poire", "", "bm")],
    [("starter", "Salade de lentilles", "mustard", "v"), ("main", "Lasagnes à la bolognaise", "gluten,milk,eggs,celery", "m"),
     ("side", "Salade verte", "", ""), ("dairy", "Petit-suisse", "milk", ""), ("dessert", "Clémentines", "", "b")],
    [("starter", "Betteraves vinaigrette", "mustard", "l"), ("main", "Omelette aux fines herbes", "eggs", "v"),
     ("side", "Pommes de terre sautées", "", "l"), ("dairy", "Camembert", "milk", ""),
     ("dessert", "Gâteau aux amandes", "gluten,eggs,milk,nuts", "m")],
    [("starter", "Taboulé", "gluten", "m"), ("main", "Sauté de bœuf aux olives", "", "l"),
     ("side", "Carottes Vichy", "milk", ""), ("dairy", "Fromage blanc", "milk", "b"), ("dessert", "Poire", "", "l")],
    [("starter", "Céleri rémoulade", "celery,eggs,mustard", ""), ("main", "Curry de pois chiches", "", "vm"),
     ("side", "Semoule", "gluten", ""), ("dairy", "Yaourt aux fruits", "milk", "b"), ("dessert", "Banane", "", "b")],
    [("starter", "Potage de légumes", "celery", "lm"), ("main", "Colin sauce citron", "fish,milk", ""),
     ("side", "Purée de brocolis", "milk", "m"), ("dairy", "Comté", "milk", "l"), ("dessert", "Crème vanille", "milk,eggs", "")],
    [("starter", "Concombre à la crème", "milk", ""), ("main", "Rôti de dinde", "", "l"), ("side", "Lentilles", "", "b"),
     ("dairy", "Saint-Paulin", "milk", ""), ("dessert", "Tarte aux pommes", "gluten,eggs,milk", "m")],
    [("starter", "Salade de riz au thon", "fish,eggs,mustard", ""), ("main", "Boulettes de soja à la tomate", "soy,gluten", "v"),
     ("side", "Coquillettes", "gluten,eggs", ""), ("dairy", "Fromage frais", "milk", ""), ("dessert", "Kiwi", "", "")],
    [("starter", "Houmous et bâtonnets de légumes", "sesame", "vm"), ("main", "Paëlla", "crustaceans,molluscs,fish", "m"),
     ("side", "Petits pois", "", ""), ("dairy", "Edam", "milk", ""), ("dessert", "Salade de fruits frais", "", "m")],
]
SNACKS = [
    ("snack", "Pain et barre de chocolat", "gluten,milk,soy", ""),
    ("snack", "Barre de céréales aux cacahuètes", "peanuts,gluten", ""),
    ("snack", "Brioche et jus de pomme", "gluten,eggs,milk", "l"),
    ("snack", "Madeleine et lait", "gluten,eggs,milk", "m"),
]
WEEKS = 4
SCHOOL_DAYS = (0, 1, 3, 4)  # Monday, Tuesday, Thursday, Friday
WEDNESDAY = 2


def _dishes(menu, day, dishes):
    return [
        Dish(menu=menu, day=day, course=course, name=name, allergens=allergens, is_organic="b" in labels,
             is_local="l" in labels, is_homemade="m" in labels, is_vegetarian="v" in labels)
        for course, name, allergens, labels in dishes
    ]


def populate(*, stdout, rng):
    school = Structure.objects.filter(kind=Structure.Kind.AFTER_SCHOOL).order_by("pk").first()
    centre = Structure.objects.filter(kind=Structure.Kind.LEISURE).order_by("pk").first()
    if school is None and centre is None:
        stdout.write("Menus : aucun équipement, rien à charger.")
        return
    first_monday = week_start(timezone.localdate())
    rows, menus, turn = [], 0, 0
    for week in range(WEEKS):
        monday = first_monday + datetime.timedelta(days=7 * week)
        title = f"Semaine du {formats.date_format(monday, 'j F')}"
        notes = "Menus susceptibles de modifications selon les livraisons. Viandes d'origine France."
        if school is not None:
            menu = Menu.objects.create(structure=school, title=title, starts_on=monday,
                                       ends_on=monday + datetime.timedelta(days=4), notes=notes)
            menus += 1
            for offset in SCHOOL_DAYS:
                rows += _dishes(menu, monday + datetime.timedelta(days=offset), LUNCHES[turn % len(LUNCHES)])
                turn += 1
        if centre is not None:
            menu = Menu.objects.create(structure=centre, title=title, starts_on=monday,
                                       ends_on=monday + datetime.timedelta(days=4), notes=notes)
            menus += 1
            wednesday = monday + datetime.timedelta(days=WEDNESDAY)
            rows += _dishes(menu, wednesday, LUNCHES[(turn + 3) % len(LUNCHES)] + [SNACKS[week % len(SNACKS)]])
    Dish.objects.bulk_create(rows)
    stdout.write(f"Menus : {menus} menus sur {WEEKS} semaines, {len(rows)} plats avec leurs allergènes.")


register_demo(populate, order=60)  # after the enrolment catalogue (its structures)
