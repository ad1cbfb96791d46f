"""Demo data: self-registration on, exact identity required to link FranceConnect, and the demo guardian who
matches the local provider's first identity (Claire MARTIN) gets that identity's birth date and the link."""
import datetime

from allauth.socialaccount.models import SocialAccount

from families.models import Guardian
from portal.demo import register as register_demo

from .franceconnect.provider import PROVIDER_ID
from .local_provider import IDENTITIES
from .models import IdentitySettings


def populate(*, stdout, rng):
    settings_row = IdentitySettings.current()
    settings_row.self_registration = True
    settings_row.link_policy = IdentitySettings.LinkPolicy.EXACT
    settings_row.save()
    claire = IDENTITIES["demo-claire-martin"]
    guardians = Guardian.objects.filter(
        family__is_demo=True, first_name="Claire", last_name=claire["family_name"], email=claire["email"],
    )
    matched = guardians.update(birth_date=datetime.date.fromisoformat(claire["birthdate"]))
    # Claire logs in with FranceConnect out of the box (« Mon compte » › « FranceConnect » unlinks and relinks).
    for guardian in guardians.filter(user__isnull=False):
        SocialAccount.objects.get_or_create(provider=PROVIDER_ID, uid="demo-claire-martin",
                                            defaults={"user": guardian.user, "extra_data": {"userinfo": claire}})
    stdout.write(
        f"Identité : création de compte par les familles ouverte ; FranceConnect local avec {len(IDENTITIES)} identités "
        f"de démonstration ({matched} correspond à un parent de démonstration)."
    )


register_demo(populate, order=15)  # after the families
