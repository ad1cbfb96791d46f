"""School-meal menus: per site (an enrolment « équipement »), for a week or a month, each dish with its
allergens from the 14 of regulation (EU) No 1169/2011 and its labels."""
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from families.allergens import AllergenSetField, names
from portal.models import TimeStampedModel


class Menu(TimeStampedModel):
    """The menus of one site over a period (a week or a month), entered by staff."""

    structure = models.ForeignKey(
        "enrolment.Structure", verbose_name="équipement", on_delete=models.CASCADE, related_name="menus"
    )
    title = models.CharField("titre", max_length=150, blank=True, help_text="Par exemple : « Menus de décembre ».")
    starts_on = models.DateField("du")
    ends_on = models.DateField("au")
    is_published = models.BooleanField("publié", default=True, help_text="Décocher pour préparer le menu sans le montrer aux familles.")
    notes = models.TextField(
        "informations pour les familles", blank=True,
        help_text="Par exemple : « Menus susceptibles de modifications selon les livraisons. »",
    )

    class Meta:
        verbose_name = "menu"
        verbose_name_plural = "menus"
        ordering = ["-starts_on", "structure__name"]
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="menu_period_in_order")]
        indexes = [models.Index(fields=["structure", "starts_on", "ends_on"])]

    def __str__(self):
        return self.title or f"Menus du {self.starts_on:%d/%m/%Y} au {self.ends_on:%d/%m/%Y} – {self.structure}"

    def clean(self):
        if self.starts_on and self.ends_on:
            if self.ends_on < self.starts_on:
                raise ValidationError({"ends_on": "La fin de la période doit suivre son début."})
            if (self.ends_on - self.starts_on).days > 62:
                raise ValidationError({"ends_on": "Un menu couvre au plus deux mois : saisissez une semaine ou un mois."})


class Dish(models.Model):
    class Course(models.TextChoices):
        STARTER = "starter", "Entrée"
        MAIN = "main", "Plat"
        SIDE = "side", "Accompagnement"
        DAIRY = "dairy", "Fromage ou laitage"
        DESSERT = "dessert", "Dessert"
        SNACK = "snack", "Goûter"

    COURSE_ORDER = {course: index for index, course in enumerate(Course.values)}

    menu = models.ForeignKey(Menu, verbose_name="menu", on_delete=models.CASCADE, related_name="dishes")
    day = models.DateField("jour")
    course = models.CharField("service", max_length=10, choices=Course.choices, default=Course.MAIN)
    name = models.CharField("plat", max_length=200)
    allergens = AllergenSetField("allergènes", help_text="Les allergènes réglementaires que contient le plat.")
    is_organic = models.BooleanField("bio", default=False)
    is_local = models.BooleanField("local", default=False)
    is_homemade = models.BooleanField("fait maison", default=False)
    is_vegetarian = models.BooleanField("végétarien", default=False)

    class Meta:
        verbose_name = "plat"
        verbose_name_plural = "plats"
        ordering = ["day", "pk"]
        indexes = [models.Index(fields=["menu", "day"])]

    def __str__(self):
        return f"{self.day:%d/%m/%Y} – {self.get_course_display()} : {self.name}"

    def clean(self):
        menu = getattr(self, "menu", None)
        if self.day and menu is not None and menu.starts_on and menu.ends_on:
            if not menu.starts_on <= self.day <= menu.ends_on:
                raise ValidationError({"day": f"Ce jour n'est pas dans la période du menu "
                                              f"(du {menu.starts_on:%d/%m/%Y} au {menu.ends_on:%d/%m/%Y})."})

    @property
    def allergen_names(self):
        return names(self.allergens)

    @property
    def labels(self):
        """The dish's labels, as a parent reads them."""
        return [label for flag, label in (
            (self.is_organic, "Bio"), (self.is_local, "Local"), (self.is_homemade, "Fait maison"),
            (self.is_vegetarian, "Végétarien"),
        ) if flag]
