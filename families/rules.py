"""Pure rules of the family file (no ORM): trivial to unit-test, shared by the forms and the services."""

# Suggested when a parent types a vaccine (the French schedule's usual vaccines); any other name is accepted.
USUAL_VACCINES = (
    "DTP (diphtérie, tétanos, poliomyélite)",
    "Coqueluche",
    "Hib (Haemophilus influenzae b)",
    "Hépatite B",
    "Pneumocoque",
    "Méningocoque C",
    "Méningocoque B",
    "ROR (rougeole, oreillons, rubéole)",
    "BCG (tuberculose)",
)


def vaccination_date_problem(*, day, birth_date, today):
    """The French reason a vaccine date cannot be right, or None: not in the future, not before birth."""
    if day is None:
        return "Indiquez la date du vaccin."
    if day > today:
        return "La date du vaccin ne peut pas être dans le futur."
    if birth_date is not None and day < birth_date:
        return f"La date du vaccin ne peut pas précéder la naissance de l'enfant ({birth_date:%d/%m/%Y})."
    return None


def postcode_problem(value):
    """The French reason a French postcode is wrong, or None (5 digits)."""
    value = (value or "").strip()
    if len(value) != 5 or not value.isdigit() or not value.isascii():
        return "Le code postal doit comporter 5 chiffres."
    return None
