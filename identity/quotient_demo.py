"""Demo data of the quotient familial (``manage.py demo_data``, after the families): the organisation's
SIRET, and one quotient fetched from the MSA that waits for staff in the admin. The demo parent (Claire
MARTIN, the first demo family) fetches her own with the simulator's identity (README)."""
import datetime

from django.utils import timezone

from families.models import Family, QuotientRecord
from families.services_quotient import quotient_record_create
from portal.demo import register as register_demo
from portal.models import Organisation

from .api_particulier import SIMULATOR_SIRET


def populate(*, stdout, rng):
    org = Organisation.current()
    if not org.siret:
        org.siret = SIMULATOR_SIRET
        org.save()
    family = Family.objects.filter(is_demo=True, name="BLANC").first()
    if family is None or QuotientRecord.objects.filter(family=family).exists():
        return
    now = timezone.now() - datetime.timedelta(days=1)
    guardian = family.guardians.filter(user__isnull=False).order_by("rank").first()
    quotient_record_create(
        family=family, value=515, source=QuotientRecord.Source.MSA, valid_from=timezone.localdate(now),
        benefit_month=datetime.date(2026, 9, 1), allocataire="Celine BLANC",
        by=guardian.user if guardian else None, now=now,
    )
    stdout.write("Quotient familial : 1 quotient récupéré auprès de la MSA attend la validation du service.")


register_demo(populate, order=12)
