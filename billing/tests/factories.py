"""Small factories for billing tests: a régie over one structure, units with tariffs, bookings."""
import datetime
from decimal import Decimal

from django.utils import timezone

from billing.models import Invoice, Regie, Tariff, TariffBracket
from enrolment.models import Activity, ActivityType, Booking, Enrolment, Group, Structure, Unit

D = Decimal


def regie_make(*, name="Régie garderie ALSH", prefix="AL", provider="fake", **kwargs):
    structure = Structure.objects.create(name=f"Accueil de loisirs {prefix}", kind="leisure")
    regie = Regie.objects.create(
        name=name, prefix=prefix, payment_provider=provider, address="Place de la Mairie\n07340 Peaugres",
        cheque_payee="Régie garderie ALSH", cash_desk="Mairie, lundi 9 h – 12 h", due_days=30, **kwargs,
    )
    regie.structures.add(structure)
    return regie, structure


def activity_make(*, structure, name="2025/2026 - CL Mercredis", units=("Journée", "Repas")):
    activity_type = ActivityType.objects.create(structure=structure, name="Centre de loisirs", kind="cl")
    activity = Activity.objects.create(
        activity_type=activity_type, name=name, season_start=datetime.date(2025, 9, 1), season_end=datetime.date(2026, 7, 3),
    )
    group = Group.objects.create(activity=activity, name="Élémentaire")
    made = [
        Unit.objects.create(activity=activity, name=unit_name, code=f"{activity.pk}-{i}", order=i)
        for i, unit_name in enumerate(units)
    ]
    return activity, group, made


def tariff_quotient(unit, brackets, *, label="CENTRE DE LOISIRS JOURNÉE", valid_from=datetime.date(2025, 9, 1), valid_until=None):
    tariff = Tariff.objects.create(unit=unit, label=label, mode="quotient", valid_from=valid_from, valid_until=valid_until)
    for bound, price in brackets:
        TariffBracket.objects.create(tariff=tariff, quotient_up_to=None if bound is None else D(str(bound)), price=D(str(price)))
    return tariff


def tariff_flat(unit, price, *, label="REPAS", valid_from=datetime.date(2025, 9, 1), valid_until=None):
    return Tariff.objects.create(
        unit=unit, label=label, mode="flat", flat_price=D(str(price)), valid_from=valid_from, valid_until=valid_until
    )


def enrol(child, activity, group):
    return Enrolment.objects.create(
        child=child, activity=activity, group=group, status="validated",
        requested_at=timezone.make_aware(datetime.datetime(2025, 6, 1, 9, 0)),
    )


def book(child, unit, enrolment, day, state="reserved"):
    return Booking.objects.create(child=child, unit=unit, enrolment=enrolment, date=day, state=state)


def invoice_make(*, regie, family, number, total, issued_on=datetime.date(2026, 3, 31), paid=D("0.00"), payer=None, status=None):
    """An issued invoice without lines (for list/statement/query-count tests)."""
    total = D(str(total))
    return Invoice.objects.create(
        regie=regie, family=family, payer=payer, number=f"{regie.prefix}-{issued_on.year}-{number:05d}", year=issued_on.year,
        sequence_number=number, issued_on=issued_on, due_on=issued_on + datetime.timedelta(days=30),
        period_start=issued_on.replace(day=1), period_end=issued_on, total=total, paid_amount=paid,
        status=status or (Invoice.Status.PAID if paid >= total else Invoice.Status.DUE),
        family_name=family.name, family_number=family.number, payer_name=str(payer.full_name if payer else family.name),
    )


class March:
    """The fixture month: one family, one child, Journée by quotient bracket and Repas flat, March 2026."""

    def __init__(self, family, *, prefix="AL", provider="fake"):
        self.family = family
        self.child = family.children.first()
        self.regie, self.structure = regie_make(name=f"Régie {prefix}", prefix=prefix, provider=provider)
        self.activity, self.group, (self.day_unit, self.meal_unit) = activity_make(structure=self.structure)
        tariff_quotient(self.day_unit, [(500, "8.00"), (1000, "12.50"), (None, "15.00")])
        tariff_flat(self.meal_unit, "3.85")
        self.enrolment = enrol(self.child, self.activity, self.group)
        w = [datetime.date(2026, 3, d) for d in (4, 11, 18, 25)]
        self.bookings = {
            "day_reserved": book(self.child, self.day_unit, self.enrolment, w[0], "reserved"),
            "day_present": book(self.child, self.day_unit, self.enrolment, w[1], "present"),
            "day_absent_billed": book(self.child, self.day_unit, self.enrolment, w[2], "absent_billed"),
            "day_excused": book(self.child, self.day_unit, self.enrolment, w[3], "excused"),
            "meal_reserved": book(self.child, self.meal_unit, self.enrolment, w[0], "reserved"),
            "meal_present": book(self.child, self.meal_unit, self.enrolment, w[1], "present"),
            "meal_cancelled": book(self.child, self.meal_unit, self.enrolment, w[2], "cancelled"),
            "meal_requested": book(self.child, self.meal_unit, self.enrolment, w[3], "requested"),
        }
        self.start, self.end = datetime.date(2026, 3, 1), datetime.date(2026, 3, 31)
