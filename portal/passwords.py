import re

from django.core.exceptions import ValidationError


class CharacterClassesValidator:
    """At least one upper-case letter, one lower-case letter and one digit (seed 002's policy)."""

    def validate(self, password, user=None):
        errors = []
        if not re.search(r"[A-ZÀ-ÖØ-Þ]", password):
            errors.append(ValidationError("Le mot de passe doit contenir au moins une lettre majuscule.", code="password_no_upper"))
        if not re.search(r"[a-zß-öø-ÿ]", password):
            errors.append(ValidationError("Le mot de passe doit contenir au moins une lettre minuscule.", code="password_no_lower"))
        if not re.search(r"\d", password):
            errors.append(ValidationError("Le mot de passe doit contenir au moins un chiffre.", code="password_no_digit"))
        if errors:
            raise ValidationError(errors)

    def get_help_text(self):
        return "Votre mot de passe doit contenir au moins une majuscule, une minuscule et un chiffre."
