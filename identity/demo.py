"""Demo data: self-registration on, FranceConnect link confirmed by staff, and the demo guardian who matches the
local provider's first identity (Claire MARTIN) gets that identity's birth date."""
import datetime

from families.models import Guardian
from portal.demo import register as register_demo

from .local_provider import IDENTITIES
from .models import IdentitySettings


def populate(*, stdout, rng):
    settings_row = IdentitySettings.current()
    settings_row.self_registration = True
    settings_row.link_policy = IdentitySettings.LinkPolicy.EXACT
    settings_row.save()
    claire = IDENTITIES["demo-claire-martin"]
    matched = Guardian.objects.filter(
        family__is_demo=True, first_name="Claire", last_name=claire["family_name"], email=claire["email"],
    ).update(birth_date=datetime.date.fromisoformat(claire["birthdate"]))
    stdout.write(
        f"Identité : création de compte par les familles ouverte ; FranceConnect local avec {len(IDENTITIES)} identités "
        f"de démonstration ({matched} correspond à un parent de démonstration)."
    )


register_demo(populate, order=15)  # after the families
