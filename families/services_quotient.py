"""Writes of the quotient familial history (``QuotientRecord``) and the family's current quotient.

``Family.quotient`` / ``quotient_valid_from`` / ``quotient_valid_until`` are derived: after every change
of the validated history, ``family_quotient_sync`` writes the value in force today and the span it stays
in force. Staff decisions are audited (``AuditLog``) with old and new values.
"""
import datetime

from django.db import transaction
from django.utils import timezone

from portal.errors import FamilyError
from portal.models import AuditLog
from portal.uploads import safe_filename, upload_check

from .models import Family, QuotientRecord
from .quotient import current_span, date_before

Source = QuotientRecord.Source
Status = QuotientRecord.Status


def _money(value):
    return None if value is None else str(value)


def family_quotient_sync(*, family, today=None):
    """Write the value in force ``today`` and its span into the family's fields (the family row is locked
    by the caller). Returns the family."""
    today = today or timezone.localdate()
    periods = [r.period for r in QuotientRecord.objects.filter(family=family, status=Status.VALIDATED)]
    if not periods:
        return family  # no history: the fields stay as staff or older data left them
    value, start, end = current_span(periods, today)
    if value is None:  # nothing in force today: the next value to come, if any, shows with its dates
        upcoming = [p.valid_from for p in periods if p.valid_from > today]
        if upcoming:
            value, start, end = current_span(periods, min(upcoming))
    family.quotient, family.quotient_valid_from, family.quotient_valid_until = value, start, end
    family.save(update_fields=["quotient", "quotient_valid_from", "quotient_valid_until", "updated_at"])
    family.__dict__.pop("_quotient_periods", None)
    return family


@transaction.atomic
def quotient_record_create(*, family, value, source, valid_from, valid_to=None, benefit_month=None,
                           allocataire="", benefit_number="", proof=None, by=None, validate=False, now=None):
    """Record a quotient (pending, or validated at once when ``validate``). ``by`` is the parent or agent."""
    now = now or timezone.now()
    if value is None or value < 0:
        raise FamilyError("Le quotient familial doit être un montant positif.")
    if valid_to is not None and valid_to < valid_from:
        raise FamilyError("La date de fin du quotient est antérieure à sa date de début.")
    record = QuotientRecord(
        family=family, value=value, source=source, valid_from=valid_from, valid_to=valid_to,
        benefit_month=benefit_month, allocataire=allocataire[:200], benefit_number=benefit_number[:30],
        requested_by=by, created_at=now,
    )
    if proof is not None:
        record.proof_type = upload_check(proof)
        record.proof_name = safe_filename(proof.name)
        record.proof = proof
    record.save()
    if validate:
        return quotient_record_validate(record=record, by=by, now=now, audit_action="quotient.applied")
    AuditLog.objects.create(
        actor=by, family=family, action="quotient.received",
        summary=f"Quotient familial reçu ({record.get_source_display()}) : {value}"[:300],
        new_values={"quotient": _money(value), "origine": source, "a_partir_du": valid_from.isoformat()},
    )
    return record


@transaction.atomic
def quotient_record_validate(*, record, by, now=None, audit_action="quotient.validated", audit_summary=None):
    """Validate a pending record: earlier open values end the day before it starts, the family's current
    quotient is re-derived. Locks the family row first (one writer of a family's history at a time)."""
    now = now or timezone.now()
    family = Family.objects.select_for_update().get(pk=record.family_id)
    record = QuotientRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != Status.PENDING:
        raise FamilyError("Ce quotient a déjà été traité.")
    old = {"quotient": _money(family.quotient)}
    _history_seed(family=family, now=now)
    overlapping = QuotientRecord.objects.filter(family=family, status=Status.VALIDATED, valid_from__lte=record.valid_from)
    for earlier in overlapping.select_for_update():
        if earlier.valid_from == record.valid_from:
            earlier.status = Status.REPLACED
            earlier.save(update_fields=["status"])
        elif earlier.valid_to is None or earlier.valid_to >= record.valid_from:
            earlier.valid_to = date_before(record.valid_from)
            earlier.save(update_fields=["valid_to"])
    record.status, record.validated_by, record.validated_at = Status.VALIDATED, by, now
    record.save(update_fields=["status", "validated_by", "validated_at"])
    family_quotient_sync(family=family, today=timezone.localdate(now))
    AuditLog.objects.create(
        actor=by, family=family, action=audit_action,
        summary=(audit_summary or f"Quotient familial {record.value} validé ({record.get_source_display()}), "
                                 f"appliqué à partir du {record.valid_from:%d/%m/%Y}")[:300],
        old_values=old, new_values={"quotient": _money(family.quotient), "enregistrement": record.pk},
    )
    return record


# A family whose quotient was set before the history existed (older data, the admin's family form of old):
# its fields become the first validated entry, so the days they cover keep their price.
SEED_START = datetime.date(2000, 1, 1)


def _history_seed(*, family, now):
    if family.quotient is None or QuotientRecord.objects.filter(family=family).exclude(
            status__in=[Status.PENDING, Status.REFUSED]).exists():
        return
    QuotientRecord.objects.create(
        family=family, value=family.quotient, source=Source.STAFF, valid_from=family.quotient_valid_from or SEED_START,
        valid_to=family.quotient_valid_until, benefit_number=family.benefit_number, status=Status.VALIDATED,
        created_at=now, validated_at=now,
    )


@transaction.atomic
def quotient_record_refuse(*, record, by, reason, now=None):
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise FamilyError("Indiquez le motif du refus : il est montré à la famille.")
    record = QuotientRecord.objects.select_for_update().get(pk=record.pk)
    if record.status != Status.PENDING:
        raise FamilyError("Ce quotient a déjà été traité.")
    record.status, record.validated_by, record.validated_at, record.refusal_reason = Status.REFUSED, by, now, reason[:300]
    record.save(update_fields=["status", "validated_by", "validated_at", "refusal_reason"])
    AuditLog.objects.create(
        actor=by, family_id=record.family_id, action="quotient.refused",
        summary=f"Quotient familial {record.value} refusé : {reason}"[:300],
        old_values={"quotient": _money(record.value), "etat": Status.PENDING}, new_values={"etat": Status.REFUSED},
    )
    return record


def first_of_month(year, month):
    try:
        return datetime.date(int(year), int(month), 1)
    except (TypeError, ValueError):
        return None
