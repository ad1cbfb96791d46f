import re

from django.contrib.auth.hashers import Argon2PasswordHasher
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


class PortalArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at the OWASP Password Storage Cheat Sheet's first configuration: 19 MiB of memory, 2
    iterations, 1 degree of parallelism. About 19 ms of CPU a hash on the benchmark machine (PBKDF2 with
    Django's 1,000,000 iterations: 216 ms; Django's Argon2 default, 100 MiB × 2 × 8 lanes: 200 ms), so one
    login no longer costs most of a parent's journey (BENCHMARKS.md « Opening morning »). Hashes stored
    with other parameters or by PBKDF2 are upgraded at the next successful login (``must_update``)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
