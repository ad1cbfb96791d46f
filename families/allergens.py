"""The 14 allergens that must be declared in food served to the public: regulation (EU) No 1169/2011,
annex II. One code per entry, the French name a parent reads, and the annex's wording.

A child's declared allergens (``ChildHealth.food_allergens``) and a dish's (``menus.Dish.allergens``)
are stored as these codes, in an ``AllergenSetField``; the menus page compares the two.
"""
import unicodedata

from django import forms
from django.db import models

# (code, short French name, the annex's wording)
ALLERGENS = (
    ("gluten", "Gluten", "Céréales contenant du gluten (blé, seigle, orge, avoine, épeautre, kamut) et produits à base de ces céréales"),
    ("crustaceans", "Crustacés", "Crustacés et produits à base de crustacés"),
    ("eggs", "Œufs", "Œufs et produits à base d'œufs"),
    ("fish", "Poissons", "Poissons et produits à base de poissons"),
    ("peanuts", "Arachides", "Arachides et produits à base d'arachides"),
    ("soy", "Soja", "Soja et produits à base de soja"),
    ("milk", "Lait", "Lait et produits à base de lait (y compris le lactose)"),
    ("nuts", "Fruits à coque", "Fruits à coque (amandes, noisettes, noix, noix de cajou, de pécan, du Brésil, pistaches, "
                               "noix de macadamia) et produits à base de ces fruits"),
    ("celery", "Céleri", "Céleri et produits à base de céleri"),
    ("mustard", "Moutarde", "Moutarde et produits à base de moutarde"),
    ("sesame", "Graines de sésame", "Graines de sésame et produits à base de graines de sésame"),
    ("sulphites", "Sulfites", "Anhydride sulfureux et sulfites en concentrations de plus de 10 mg/kg ou 10 mg/l (exprimées en SO2)"),
    ("lupin", "Lupin", "Lupin et produits à base de lupin"),
    ("molluscs", "Mollusques", "Mollusques et produits à base de mollusques"),
)
CODES = tuple(code for code, _name, _wording in ALLERGENS)
NAMES = {code: name for code, name, _wording in ALLERGENS}
WORDINGS = {code: wording for code, _name, wording in ALLERGENS}
CHOICES = [(code, name) for code, name, _wording in ALLERGENS]


def normalise(codes):
    """Known codes only, each once, in the annex's order."""
    wanted = set(codes or ())
    return [code for code in CODES if code in wanted]


def parse(value):
    """Codes from what the database stores ("milk,eggs"), a list, or nothing."""
    if not value:
        return []
    if isinstance(value, str):
        value = value.split(",")
    return normalise(code.strip() for code in value)


def names(codes):
    """« Lait, œufs »: the allergens written out, the first with a capital."""
    words = [NAMES[code] for code in parse(codes)]
    return ", ".join(words[:1] + [word.lower() for word in words[1:]])


def _fold(text):
    text = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "OE")).lower()
    return "".join(char for char in text if not unicodedata.combining(char))


# Words a parent writes in the free-text « Allergies » field, and the regulated allergen they name.
# Used once to fill the structured field from the text already stored (families migration 0005) and by
# the demo; afterwards parents and staff tick the boxes themselves.
_KEYWORDS = {
    "gluten": "gluten", "ble": "gluten", "seigle": "gluten", "orge": "gluten", "avoine": "gluten", "epeautre": "gluten",
    "coeliaq": "gluten", "crustace": "crustaceans", "crevette": "crustaceans", "crabe": "crustaceans",
    "homard": "crustaceans", "oeuf": "eggs", "poisson": "fish", "arachide": "peanuts", "cacahuete": "peanuts",
    "soja": "soy", "lait": "milk", "lactose": "milk", "laitier": "milk", "fruits a coque": "nuts", "noix": "nuts",
    "noisette": "nuts", "amande": "nuts", "pistache": "nuts", "cajou": "nuts", "celeri": "celery",
    "moutarde": "mustard", "sesame": "sesame", "sulfite": "sulphites", "lupin": "lupin", "mollusque": "molluscs",
    "moule": "molluscs", "huitre": "molluscs", "calamar": "molluscs",
}


def from_text(text):
    """The regulated allergens a free text names (« Arachides, lactose » → peanuts, milk)."""
    folded = _fold(text or "")
    return normalise(code for word, code in _KEYWORDS.items() if word in folded)


class AllergenSetFormField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        for name in ("max_length", "empty_value"):
            kwargs.pop(name, None)
        kwargs["choices"] = CHOICES
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return parse(value)

    def to_python(self, value):
        # Boxes as a browser sends them (a list), or the stored form ("milk,eggs"); empty items dropped.
        if isinstance(value, str):
            value = value.split(",")
        return [item.strip() for item in super().to_python(value) if item and item.strip()]

    def has_changed(self, initial, data):
        return parse(initial) != parse(data)

    def clean(self, value):
        return ",".join(normalise(super().clean(value)))


class AllergenSetField(models.CharField):
    """A set of regulated allergens, stored as their codes separated by commas ("milk,eggs"): readable
    in the admin's history, the change requests' old and new values and « Mes données », and the same on
    PostgreSQL and SQLite. Ticked in forms as checkboxes."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return ",".join(parse(value))

    def get_prep_value(self, value):
        return ",".join(parse(value))

    def formfield(self, **kwargs):
        return AllergenSetFormField(label=self.verbose_name, help_text=self.help_text, required=not self.blank)

    def display(self, value):
        """How the value reads for a parent or an agent (families.services.display_value)."""
        return names(value) or "Aucun"
