"""Direct debit: mandates asked for by parents, accepted by staff, and the SEPA pain.008 export."""
import datetime
import secrets
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from sepaxml import SepaDD

from portal.errors import BillingError
from portal.models import AuditLog

from ..models import DirectDebitBatch, DirectDebitItem, DirectDebitMandate, Invoice, Payment
from ..pricing import euros
from .invoice_pdfs import invoice_pdfs_batched
from .payments import payment_record


def iban_clean(value):
    """A validated, compact IBAN (schwifty), or BillingError with a French message."""
    try:
        return IBAN(value or "").compact
    except (SchwiftyException, ValueError) as exc:
        raise BillingError("L'IBAN saisi n'est pas valide : vérifiez-le.") from exc


def bic_for(iban, bic=""):
    if bic:
        try:
            return str(BIC(bic))
        except (SchwiftyException, ValueError) as exc:
            raise BillingError("Le BIC saisi n'est pas valide.") from exc
    try:
        found = IBAN(iban).bic
    except (SchwiftyException, ValueError):
        found = None
    return str(found) if found else ""


def mandate_request(*, family, guardian, holder_name, iban, bic="", holder_address="", now=None):
    """A parent asks for direct debit; staff accept it in the admin."""
    now = now or timezone.now()
    holder_name = (holder_name or "").strip()
    if not holder_name:
        raise BillingError("Indiquez le titulaire du compte.")
    iban = iban_clean(iban)
    bic = bic_for(iban, (bic or "").strip())
    try:
        with transaction.atomic():
            mandate = DirectDebitMandate.objects.create(
                family=family, guardian=guardian, holder_name=holder_name[:70], iban=iban, bic=bic,
                holder_address=(holder_address or "")[:250],
                reference=f"RUM{family.number}{secrets.token_hex(4).upper()}", signed_on=timezone.localdate(now),
            )
            AuditLog.objects.create(
                actor=guardian.user if guardian else None, family=family, action="billing.mandate_request",
                summary="Demande de prélèvement automatique",
                new_values={"holder": holder_name, "iban": mandate.iban_masked, "reference": mandate.reference},
            )
    except IntegrityError as exc:
        raise BillingError("Une demande de prélèvement est déjà en cours ou active pour votre famille.") from exc
    return mandate


def mandate_decide(*, mandate, accept, by, reason="", now=None):
    now = now or timezone.now()
    with transaction.atomic():
        mandate = DirectDebitMandate.objects.select_for_update().get(pk=mandate.pk)
        if mandate.status != DirectDebitMandate.Status.REQUESTED:
            raise BillingError("Cette demande de prélèvement a déjà été traitée.")
        if not accept and not (reason or "").strip():
            raise BillingError("Indiquez le motif du refus.")
        old = {"status": mandate.status}
        mandate.status = DirectDebitMandate.Status.ACTIVE if accept else DirectDebitMandate.Status.REFUSED
        mandate.decided_at = now
        mandate.decided_by = by
        mandate.refusal_reason = "" if accept else reason.strip()[:300]
        mandate.save(update_fields=["status", "decided_at", "decided_by", "refusal_reason"])
        AuditLog.objects.create(
            actor=by, family=mandate.family, action="billing.mandate_decide",
            summary=f"Prélèvement {'accepté' if accept else 'refusé'} ({mandate.reference})",
            old_values=old, new_values={"status": mandate.status, "reason": mandate.refusal_reason},
        )
    return mandate


def debit_candidates(*, regie):
    """Unpaid invoices of families with an active mandate, not yet in a direct-debit file, nor being paid
    online (a card payment started before the mandate was accepted: collecting it too would take it twice)."""
    return (
        Invoice.objects.filter(
            regie=regie, status=Invoice.Status.DUE, family__mandates__status=DirectDebitMandate.Status.ACTIVE,
            debit_items__isnull=True,
        )
        .filter(total__gt=F("paid_amount") + F("credited_amount"))
        .exclude(online_items__active=True)
        .select_related("family")
        .order_by("family_id", "due_on", "pk")
    )


def debit_export(*, regie, collection_date, by=None):
    """Build the pain.008 file (sepaxml) for the régie's debit candidates and record the batch."""
    missing = [
        label for label, value in (
            ("nom du créancier", regie.sepa_creditor_name), ("identifiant créancier (ICS)", regie.sepa_creditor_id),
            ("IBAN", regie.sepa_iban), ("BIC", regie.sepa_bic),
        ) if not value
    ]
    if missing:
        raise BillingError(f"Paramètres SEPA de la régie {regie} incomplets : {', '.join(missing)}.")
    with transaction.atomic():
        invoices = list(debit_candidates(regie=regie).select_for_update(of=("self",)))
        if not invoices:
            raise BillingError(f"Aucune facture à prélever pour la régie {regie}.")
        mandates = {
            m.family_id: m
            for m in DirectDebitMandate.objects.select_for_update().filter(
                family_id__in={i.family_id for i in invoices}, status=DirectDebitMandate.Status.ACTIVE
            )
        }
        sepa = SepaDD(
            {
                "name": regie.sepa_creditor_name, "IBAN": IBAN(regie.sepa_iban).compact, "BIC": regie.sepa_bic,
                "batch": True, "creditor_id": regie.sepa_creditor_id, "currency": "EUR",
            },
            schema="pain.008.001.02",
        )
        items = []
        total = Decimal("0.00")
        first_done = set()
        for invoice in invoices:
            mandate = mandates[invoice.family_id]
            seq = "RCUR" if mandate.first_collection_done or mandate.pk in first_done else "FRST"
            amount = invoice.remaining
            payment = {
                "name": mandate.holder_name, "IBAN": mandate.iban, "amount": int((amount * 100).to_integral_value()),
                "type": seq, "collection_date": collection_date, "mandate_id": mandate.reference,
                "mandate_date": mandate.signed_on, "description": f"Facture {invoice.number}",
                "endtoend_id": invoice.number.replace("-", ""),
            }
            if mandate.bic:
                payment["BIC"] = mandate.bic
            sepa.add_payment(payment)
            items.append(DirectDebitItem(invoice=invoice, mandate=mandate, amount=amount, sequence_type=seq))
            total += amount
            first_done.add(mandate.pk)
        xml = sepa.export(validate=True).decode("utf-8")
        batch = DirectDebitBatch.objects.create(
            regie=regie, created_by=by, collection_date=collection_date, total=total, count=len(items), xml=xml
        )
        for item in items:
            item.batch = batch
        DirectDebitItem.objects.bulk_create(items)
        DirectDebitMandate.objects.filter(pk__in=first_done, first_collection_done=False).update(first_collection_done=True)
        AuditLog.objects.create(
            actor=by, action="billing.debit_export",
            summary=f"Export prélèvement {regie.prefix} : {len(items)} facture(s), {euros(total)} €",
            new_values={"batch": batch.pk, "invoices": [i.number for i in invoices]},
        )
    return batch


def debit_batch_record_payments(*, batch, by=None, now=None):
    """Once the bank has collected the file: record one « Prélèvement » payment per invoice."""
    now = now or timezone.now()
    with transaction.atomic():
        batch = DirectDebitBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.payments_recorded_at:
            raise BillingError("Les règlements de cette remise sont déjà enregistrés.")
        with invoice_pdfs_batched():  # the PDFs of the whole batch in chunks, not one task per payment
            count = _debit_batch_payments(batch, by)
        batch.payments_recorded_at = now
        batch.save(update_fields=["payments_recorded_at"])
    return count


def _debit_batch_payments(batch, by):
    count = 0
    for item in batch.items.select_related("invoice__family", "invoice__payer", "mandate"):
        invoice = item.invoice
        share = min(item.amount, invoice.remaining)
        if share <= 0:
            continue
        payment_record(
            family=invoice.family, regie=batch.regie, mode=Payment.Mode.DIRECT_DEBIT, amount=share,
            received_on=batch.collection_date, invoices=[invoice], payer=invoice.payer, payer_name=item.mandate.holder_name,
            reference=item.mandate.reference, by=by,
        )
        count += 1
    return count


def next_business_day(day, offset=2):
    result = day + datetime.timedelta(days=offset)
    while result.weekday() >= 5:
        result += datetime.timedelta(days=1)
    return result
