"""Childcare contracts: the hourly rate from the CNAF tables, arrival and departure times, and the
monthly invoice (mensualisation, extra half-hours, deductions) through the crèche's régie."""
import calendar
import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.services.external import invoice_issue_lines
from portal.models import AuditLog

from .. import pricing
from ..conf import setting
from ..errors import EarlyChildhoodError
from ..models import Attendance, ChildcareContract, Deduction, MonthlyStatement, Nursery, NurseryClosure
from ..selectors import rate_tables_on


def fr(value, places=2):
    """« 1 234,50 » — amounts and hours as a parent reads them."""
    text = f"{Decimal(value):,.{places}f}".replace(",", " ").replace(".", ",")
    return text


def rate_compute(*, resources, dependent_children, disabled_children, day):
    """The hourly rate on ``day`` and how it was worked out, line by line (French)."""
    rows, floor, ceiling = rate_tables_on(day)
    children = pricing.counted_children(dependent_children, disabled_children)
    rate_percent = pricing.effort_rate(rows, children)
    declared = resources is not None
    used = pricing.clamp_resources(resources if declared else ceiling.amount, floor.amount, ceiling.amount)
    hourly = pricing.hourly_rate(resources=used, floor=floor.amount, ceiling=ceiling.amount, rate_percent=rate_percent)
    lines = []
    if declared:
        lines.append(f"Ressources mensuelles retenues : {fr(resources)} €")
    else:
        lines.append("Ressources non déclarées : le plafond s'applique")
    lines.append(f"Plancher {fr(floor.amount)} € (depuis le {floor.valid_from:%d/%m/%Y}), plafond "
                 f"{fr(ceiling.amount)} € (depuis le {ceiling.valid_from:%d/%m/%Y}) : base {fr(used)} €")
    count = f"{dependent_children} enfant(s) à charge"
    if disabled_children:
        count += f", dont {disabled_children} bénéficiaire(s) de l'AEEH, compté(s) une fois de plus : barème de {children} enfants"
    lines.append(f"{count} : taux d'effort {fr(rate_percent, 4)} % par heure")
    lines.append(f"Tarif horaire : {fr(used)} € × {fr(rate_percent, 4)} % = {fr(hourly)} €")
    return {"floor": floor.amount, "ceiling": ceiling.amount, "rate_percent": rate_percent, "hourly_rate": hourly,
            "lines": lines}


def _apply_rate(contract):
    computed = rate_compute(resources=contract.monthly_resources, dependent_children=contract.dependent_children,
                            disabled_children=contract.disabled_children, day=contract.start_date)
    contract.floor, contract.ceiling = computed["floor"], computed["ceiling"]
    contract.rate_percent, contract.hourly_rate = computed["rate_percent"], computed["hourly_rate"]
    contract.weekly_hours = pricing.weekly_hours_of(contract.schedule)
    contract.monthly_hours = pricing.monthly_hours(weekly_hours=contract.weekly_hours,
                                                   weeks_per_year=contract.weeks_per_year, months=contract.months)
    contract.monthly_amount = pricing.monthly_amount(weekly_hours=contract.weekly_hours,
                                                     weeks_per_year=contract.weeks_per_year, months=contract.months,
                                                     rate=contract.hourly_rate)


def contract_explanation(contract):
    """The computation shown to the parent (French lines), from the values kept on the contract."""
    base = pricing.clamp_resources(contract.monthly_resources, contract.floor, contract.ceiling)
    return [
        f"Ressources mensuelles : {fr(contract.monthly_resources)} €, plancher {fr(contract.floor)} €, "
        f"plafond {fr(contract.ceiling)} € : base {fr(base)} €",
        f"Enfants à charge : {contract.dependent_children}"
        + (f" (dont {contract.disabled_children} bénéficiaire(s) de l'AEEH, compté(s) une fois de plus)"
           if contract.disabled_children else "")
        + f" : taux d'effort {fr(contract.rate_percent, 4)} %",
        f"Tarif horaire : {fr(base)} € × {fr(contract.rate_percent, 4)} % = {fr(contract.hourly_rate)} €",
        f"Mensualisation : {fr(contract.weekly_hours)} h par semaine × {fr(contract.weeks_per_year, 1)} semaines "
        f"÷ {contract.months} mois = {fr(contract.monthly_hours)} h par mois",
        f"Mensualité : {fr(contract.monthly_hours)} h × {fr(contract.hourly_rate)} € = {fr(contract.monthly_amount)} €",
        f"Heure complémentaire : par demi-heure commencée, {fr(pricing.half_hour_price(contract.hourly_rate))} € "
        "la demi-heure",
    ]


def contract_create(*, family, child, child_name, nursery, section, start_date, schedule, resources,
                    dependent_children, disabled_children, decision=None, end_date=None, weeks_per_year=None,
                    months=None):
    if not schedule:
        raise EarlyChildhoodError("Le contrat doit prévoir au moins un jour d'accueil.")
    contract = ChildcareContract(
        family=family, child=child, child_name=child_name, nursery=nursery, section=section, decision=decision,
        start_date=start_date,
        end_date=end_date or (start_date.replace(year=start_date.year + 1) - datetime.timedelta(days=1)),
        schedule=schedule, weeks_per_year=Decimal(weeks_per_year or setting("EARLYCHILDHOOD_WEEKS_PER_YEAR")),
        months=months or setting("EARLYCHILDHOOD_CONTRACT_MONTHS"),
        monthly_resources=resources if resources is not None else Decimal("0"),
        dependent_children=dependent_children, disabled_children=disabled_children,
    )
    if resources is None:  # not declared: the ceiling applies (the rate is computed on it)
        _, _, ceiling = rate_tables_on(start_date)
        contract.monthly_resources = ceiling.amount
    _apply_rate(contract)
    contract.save()
    return contract


def contract_recompute(*, contract, resources, dependent_children, disabled_children, by=None):
    """Staff correct the resources or the children (checked on the CAF's CDAP): the rate is worked out again."""
    with transaction.atomic():
        contract = ChildcareContract.objects.select_for_update().get(pk=contract.pk)
        old = {"hourly_rate": str(contract.hourly_rate), "monthly_amount": str(contract.monthly_amount)}
        contract.monthly_resources, contract.dependent_children = resources, dependent_children
        contract.disabled_children = disabled_children
        _apply_rate(contract)
        contract.save()
        AuditLog.objects.create(actor=by, family=contract.family, action="earlychildhood.contract_rate",
                                summary=f"Tarif du contrat de {contract.child_name} recalculé", old_values=old,
                                new_values={"hourly_rate": str(contract.hourly_rate),
                                            "monthly_amount": str(contract.monthly_amount)})
    return contract


def attendance_record(*, contract, day, arrival, departure, by=None):
    if departure is not None and departure <= arrival:
        raise EarlyChildhoodError("L'heure de départ doit suivre l'heure d'arrivée.")
    if not contract.start_date <= day <= contract.end_date:
        raise EarlyChildhoodError("Ce jour est en dehors du contrat.")
    attendance, _ = Attendance.objects.update_or_create(
        contract=contract, date=day, defaults={"arrival": arrival, "departure": departure, "recorded_by": by})
    return attendance


def month_bounds(month):
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def contract_days(contract, first, last):
    """The days of the month the contract covers: its weekdays with a slot, inside its dates."""
    days, day = set(), max(first, contract.start_date)
    while day <= min(last, contract.end_date):
        if contract.schedule.get(str(day.weekday())):
            days.add(day)
        day += datetime.timedelta(days=1)
    return days


def month_compute(contract, month):
    """The ``MonthBill`` of a contract's month (3 queries: times, deductions, the crèche's closures), and the French reason of each deducted day."""
    first, last = month_bounds(month)
    attendances = {a.date: (a.arrival, a.departure)
                   for a in Attendance.objects.filter(contract=contract, date__gte=first, date__lte=last)}
    deductions = {}
    for d in Deduction.objects.filter(contract=contract, start__lte=last, end__gte=first):
        for day in pricing.deductible_days(kind=d.kind, start=d.start, end=d.end, certificate=d.certificate):
            if first <= day <= last:
                deductions.setdefault(day, d.get_kind_display())
    closure = Deduction.Kind.CLOSURE.label
    for c in NurseryClosure.objects.filter(nursery_id=contract.nursery_id, start__lte=last, end__gte=first):
        for day in pricing.deductible_days(kind="closure", start=c.start, end=c.end, certificate=False):
            if first <= day <= last:
                deductions.setdefault(day, closure)
    return pricing.month_bill(
        schedule=contract.schedule, monthly_hours_value=contract.monthly_hours,
        monthly_amount_value=contract.monthly_amount, rate=contract.hourly_rate,
        days_in_contract=contract_days(contract, first, last), attendances=attendances, deductions=deductions,
    )


def contract_month_invoice(*, contract, month, by=None, now=None):
    """Invoice one month of a contract through its crèche's régie and keep its hours for the CAF.
    Idempotent: a month already invoiced raises a French error and creates nothing."""
    now = now or timezone.now()
    first, last = month_bounds(month)
    if first > timezone.localdate(now):
        raise EarlyChildhoodError("Ce mois n'a pas commencé.")
    if last < contract.start_date or first > contract.end_date:
        raise EarlyChildhoodError("Le contrat ne couvre pas ce mois.")
    bill = month_compute(contract, month)
    activity = f"Crèche {contract.nursery.name}"
    rate = fr(contract.hourly_rate)
    lines = [{
        "child": contract.child, "child_name": contract.child_name, "activity_name": activity,
        "unit_name": "Mensualisation du contrat", "date": first, "quantity": 1,
        "tariff_label": f"{fr(bill.contract_hours)} h × {rate} €/h", "unit_price": bill.smoothed_amount,
        "amount": bill.smoothed_amount,
    }]
    if bill.extra_half_hours:
        half = pricing.half_hour_price(contract.hourly_rate)
        lines.append({
            "child": contract.child, "child_name": contract.child_name, "activity_name": activity,
            "unit_name": "Heures complémentaires (par demi-heure commencée)", "date": first,
            "quantity": bill.extra_half_hours, "tariff_label": f"demi-heure à {fr(half)} €",
            "unit_price": half, "amount": bill.extra_amount,
        })
    for day, day_hours, reason in bill.deducted_days:
        amount = pricing.money(day_hours * contract.hourly_rate)
        lines.append({
            "child": contract.child, "child_name": contract.child_name, "activity_name": activity,
            "unit_name": f"Déduction : {reason}", "date": day, "quantity": 1,
            "tariff_label": f"{fr(day_hours)} h × {rate} €/h", "unit_price": -amount, "amount": -amount,
        })
    try:
        with transaction.atomic():
            statement = MonthlyStatement.objects.create(
                contract=contract, month=first, contract_hours=bill.contract_hours,
                extra_half_hours=bill.extra_half_hours, deducted_hours=bill.deducted_hours,
                billed_hours=bill.billed_hours, attended_hours=bill.attended_hours,
                smoothed_amount=bill.smoothed_amount, extra_amount=bill.extra_amount,
                deducted_amount=bill.deducted_amount, total=bill.total,
                details={"deducted_days": [[d.isoformat(), str(h), r] for d, h, r in bill.deducted_days]},
            )
            statement.invoice = invoice_issue_lines(
                regie=contract.nursery.regie, family=contract.family, period_start=first, period_end=last,
                lines=lines, by=by, now=now)
            statement.save(update_fields=["invoice"])
    except IntegrityError:
        raise EarlyChildhoodError(f"Le mois de {first:%m/%Y} est déjà facturé pour ce contrat.") from None
    return statement


def nursery_month_invoice(*, nursery, month, by=None, now=None):
    """Invoice the month for every contract of the crèche not invoiced yet; (created, skipped)."""
    first, last = month_bounds(month)
    done = set(MonthlyStatement.objects.filter(month=first, contract__nursery=nursery).values_list("contract_id", flat=True))
    created = []
    for contract in (ChildcareContract.objects.filter(nursery=nursery, start_date__lte=last, end_date__gte=first)
                     .exclude(pk__in=done).select_related("nursery__regie", "nursery__structure", "family", "child")):
        created.append(contract_month_invoice(contract=contract, month=first, by=by, now=now))
    return created, len(done)


def all_nurseries_month_invoice(*, now=None):
    """Invoice the month before ``now`` for every active crèche; (invoices created, contracts already done)."""
    now = now or timezone.now()
    first_of_this_month = timezone.localdate(now).replace(day=1)
    previous = (first_of_this_month - datetime.timedelta(days=1)).replace(day=1)
    created = skipped = 0
    for nursery in Nursery.objects.filter(is_active=True).select_related("regie"):
        made, done = nursery_month_invoice(nursery=nursery, month=previous, now=now)
        created, skipped = created + len(made), skipped + done
    return created, skipped
