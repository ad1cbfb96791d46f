"""allauth's provider registry imports ``<app>.provider`` of every installed app: FranceConnect registers here."""
from .franceconnect.provider import provider_classes  # noqa: F401
