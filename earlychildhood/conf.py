"""Settings of the early-childhood app, with their defaults (override any of them in settings.py)."""
from django.conf import settings

DEFAULTS = {
    # Days a family has to accept an offered place online; after that the offer lapses.
    "EARLYCHILDHOOD_OFFER_DAYS": 8,
    # A pending request must be confirmed every this many days (« tous les 3 mois »)…
    "EARLYCHILDHOOD_CONFIRM_EVERY_DAYS": 91,
    # …and lapses this many days after the reminder if the family has not confirmed it.
    "EARLYCHILDHOOD_CONFIRM_GRACE_DAYS": 30,
    # Defaults of a new contract: weeks of attendance a year and months of mensualisation.
    "EARLYCHILDHOOD_WEEKS_PER_YEAR": 45,
    "EARLYCHILDHOOD_CONTRACT_MONTHS": 12,
}


def setting(name):
    return getattr(settings, name, DEFAULTS[name])
