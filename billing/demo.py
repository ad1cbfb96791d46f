"""Demo data for billing (runs after enrolment.demo): two régies, tariffs with quotient brackets,
past months billed (attendance recorded), invoices issued, some paid online, some by cheque, some
due (the demo parent's invoices of one régie all due, to pay several at once), and one family on direct debit."""
import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from enrolment import loaders
from enrolment.models import Booking, Enrolment, Structure, Unit
from families.models import Guardian
from portal.demo import register as register_demo

from .models import OnlineTransaction, OnlineTransactionInvoice, Regie, Tariff, TariffBracket
from .services.direct_debit import mandate_decide, mandate_request
from .services.invoicing import invoice_issue_period
from .services.payments import payment_record

D = Decimal

# (label, mode, flat price or brackets [(QF up to, price)]) by unit name
TARIFFS = {
    "Journée": ("CENTRE DE LOISIRS JOURNÉE", [(600, "9.50"), (1000, "13.00"), (None, "16.50")]),
    "Matin": ("CENTRE DE LOISIRS DEMI-JOURNÉE", [(600, "4.20"), (1000, "5.20"), (None, "6.60")]),
    "Après-midi": ("CENTRE DE LOISIRS DEMI-JOURNÉE", [(600, "4.20"), (1000, "5.20"), (None, "6.60")]),
    "Repas": ("REPAS", [(600, "2.90"), (1000, "3.60"), (None, "4.20")]),
    "Matin 7 h 30 – 8 h 30": ("ALAE HEURE", [(600, "1.10"), (1000, "1.50"), (None, "1.90")]),
    "Soir 16 h 30 – 18 h 30": ("ALAE DEUX HEURES", [(600, "2.20"), (1000, "3.00"), (None, "3.80")]),
    "Soir tardif 18 h 30 – 19 h": ("ALAE DEMI-HEURE", [(600, "0.60"), (1000, "0.80"), (None, "1.00")]),
    "Garderie 7h30-8h30": ("GARDERIE", "1.50"),
    "Transport matin": ("TRANSPORT", "1.00"),
    "Transport soir": ("TRANSPORT", "1.00"),
}


def populate(*, stdout, rng):
    today = timezone.localdate()
    year = today.year if today.month >= 9 else today.year - 1
    season_start = datetime.date(year, 9, 1)

    castors = Structure.objects.filter(kind=Structure.Kind.LEISURE).order_by("pk").first()
    peri = Structure.objects.filter(kind=Structure.Kind.AFTER_SCHOOL).order_by("pk").first()
    alsh = Regie.objects.create(
        name="Régie garderie ALSH", prefix="AL", address="Mairie – Service enfance\n1 place de la Liberté\n07100 Annonay",
        phone="04 75 32 10 20", email="regie.alsh@demo.portail.example", cheque_payee="Régie garderie ALSH",
        cash_desk="Accueil du service enfance, lundi et mercredi 8 h 30 – 12 h", payment_provider="fake",
        payfip_numcli="000000", sepa_creditor_name="REGIE GARDERIE ALSH", sepa_creditor_id="FR12ZZZ123456",
        sepa_iban="FR7630006000011234567890189", sepa_bic="AGRIFRPP",
    )
    restauration = Regie.objects.create(
        name="Régie restauration", prefix="RS", address="Mairie – Restauration scolaire\n1 place de la Liberté\n07100 Annonay",
        phone="04 75 32 10 21", cheque_payee="Régie restauration scolaire", cash_desk="Accueil de la mairie, du lundi au vendredi 9 h – 12 h",
        payment_provider="fake", payfip_numcli="000000", childcare_certificate=False,
    )
    if castors:
        alsh.structures.add(castors)
    if peri:
        restauration.structures.add(peri)

    tariffs = 0
    for unit in Unit.objects.select_related("activity"):
        spec = TARIFFS.get(unit.name)
        if spec is None:
            continue
        label, price = spec
        valid_from = min(unit.activity.season_start, season_start)
        if isinstance(price, str):
            Tariff.objects.create(unit=unit, label=label, mode="flat", flat_price=D(price), valid_from=valid_from)
        else:
            tariff = Tariff.objects.create(unit=unit, label=label, mode="quotient", valid_from=valid_from)
            TariffBracket.objects.bulk_create(
                [TariffBracket(tariff=tariff, quotient_up_to=None if b is None else D(b), price=D(p)) for b, p in price]
            )
        tariffs += 1

    # The months already past this school year: the children attended (attendance recorded).
    months = []
    first = season_start
    while True:
        nxt = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        if nxt > today:
            break
        months.append((first, nxt - datetime.timedelta(days=1)))
        first = nxt
    enrolments = list(
        Enrolment.objects.filter(status=Enrolment.Status.VALIDATED, child__family__is_demo=True)
        .select_related("activity", "child")
    )
    calendars = loaders.calendars_for(list({e.activity for e in enrolments})) if enrolments and months else {}
    past = []
    for enrolment in enrolments:
        if not months:
            break
        units = list(enrolment.activity.units.order_by("order", "pk"))
        regular = [u for u in units if u.is_regular] or units[:1]
        days = calendars[enrolment.activity_id].open_days(months[0][0], months[-1][1])
        for day in days:
            if enrolment.activity.prebook_regular is False and rng.random() < 0.45:
                continue
            for unit in regular:
                roll = rng.random()
                state = "present" if roll < 0.9 else ("absent_billed" if roll < 0.95 else "excused")
                past.append(Booking(child=enrolment.child, unit=unit, enrolment=enrolment, date=day, state=state))
    Booking.objects.bulk_create(past, ignore_conflicts=True)

    invoices = []
    for start, end in months:
        issued_on = min(end + datetime.timedelta(days=3), today)
        now = timezone.make_aware(datetime.datetime.combine(issued_on, datetime.time(6, 0)))
        for regie in (alsh, restauration):
            invoices += invoice_issue_period(regie=regie, period_start=start, period_end=end, now=now, issued_on=issued_on)

    staff = get_user_model().objects.filter(is_staff=True).order_by("pk").first()
    paid_online = paid_cheque = 0
    still_due = _demo_family_to_pay_together(invoices)
    for i, invoice in enumerate(sorted(invoices, key=lambda inv: (inv.issued_on, inv.number))):
        is_last_month = months and invoice.period_start == months[-1][0]
        roll = rng.random()
        received = min(invoice.issued_on + datetime.timedelta(days=rng.randint(2, 20)), today)
        if (is_last_month and roll < 0.6) or invoice.pk in still_due:
            continue  # still due
        if roll < 0.45:
            tx = OnlineTransaction.objects.create(
                family=invoice.family, regie=invoice.regie, provider="fake",
                reference=f"PDEMO{invoice.pk:010d}", provider_transaction_id=f"demo{invoice.pk}",
                amount=invoice.remaining, email=invoice.payer.email if invoice.payer and invoice.payer.email else "demo@demo.portail.example",
                state=OnlineTransaction.State.PAID, provider_status="paid CB",
                started_at=timezone.make_aware(datetime.datetime.combine(received, datetime.time(20, 15))),
                finished_at=timezone.make_aware(datetime.datetime.combine(received, datetime.time(20, 17))),
            )
            OnlineTransactionInvoice.objects.create(transaction=tx, invoice=invoice, amount=invoice.remaining, active=False)
            payment_record(
                family=invoice.family, regie=invoice.regie, mode="online", amount=invoice.remaining, received_on=received,
                invoices=[invoice], payer=invoice.payer, reference=tx.reference, online_transaction=tx,
                note="Paiement en ligne (démonstration)",
            )
            paid_online += 1
        elif roll < 0.85:
            amount = invoice.remaining if rng.random() < 0.8 else (invoice.remaining / 2).quantize(D("0.01"))
            payment_record(
                family=invoice.family, regie=invoice.regie, mode="cheque", amount=amount, received_on=received,
                invoices=[invoice], payer=invoice.payer, reference=f"{rng.randint(1000000, 9999999)}", bank="Crédit Agricole",
                by=staff,
            )
            paid_cheque += 1

    # One family pays by direct debit.
    mandates = 0
    guardian = Guardian.objects.filter(family__is_demo=True, rank=1).order_by("family__number").last()
    if guardian is not None:
        mandate = mandate_request(
            family=guardian.family, guardian=guardian, holder_name=guardian.full_name,
            iban="FR7630006000011234567890189", holder_address=", ".join(guardian.postal_address_lines),
        )
        mandate_decide(mandate=mandate, accept=True, by=staff)
        mandates = 1
    stdout.write(
        f"Facturation : 2 régies, {tariffs} tarifs, {len(past)} journées passées pointées, {len(invoices)} factures "
        f"({paid_online} payées en ligne, {paid_cheque} par chèque), {mandates} famille au prélèvement."
    )


def _demo_family_to_pay_together(invoices):
    """Ids of the invoices the demo parent (the login ``families.demo.logins`` prints) finds unpaid to try
    « Payer mes factures » on several at once: those of the régie with the most of its invoices (the past
    three months' give three)."""
    guardian = Guardian.objects.filter(family__is_demo=True, user__isnull=False).order_by("family__number", "rank").first()
    if guardian is None:
        return set()
    per_regie = {}
    for invoice in invoices:
        if invoice.family_id == guardian.family_id:
            per_regie.setdefault(invoice.regie_id, []).append(invoice.pk)
    return set(max(per_regie.values(), key=len)) if per_regie else set()


register_demo(populate, order=30)  # after the enrolments and bookings
