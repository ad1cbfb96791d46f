"""Payments: manual payments allocated to invoices, and the online-payment loop.

The online loop (pretix style): ``online_payment_start`` creates the transaction and asks the
provider for a redirect, moving no money; the provider's server-to-server notification goes through
``online_payment_notify``, which only learns an operation id from it and asks the provider for the
real result (``fetch_status``); ``payment_record_result`` locks the transaction row, does nothing
when it is already final, checks reference, amount and test mode, and records the payment once.
The browser's return page only displays.
"""
import logging
import secrets
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.errors import PaymentError
from portal.mail import email_queue
from portal.models import AuditLog
from portal.ratelimit import hit_count

from ..models import Invoice, OnlineTransaction, Payment, PaymentAllocation, PaymentNotification
from ..pricing import euros, money
from ..providers import ProviderError, provider_class, provider_for
from ..selectors import online_payment_offered
from .invoice_pdfs import invoice_pdfs_render_on_commit
from .invoicing import invoice_status_refresh

logger = logging.getLogger("billing.payments")


# --- Manual payments -------------------------------------------------------------------------


def payment_record(
    *, family, regie, mode, amount, received_on, invoices=None, payer=None, payer_name="", reference="", bank="",
    note="", by=None, online_transaction=None,
):
    """Record a payment and allocate it to ``invoices`` (oldest due first), partial allowed.

    The invoices are locked; an allocation never exceeds what remains due. What the invoices do
    not absorb stays as a credit on the family's account.
    """
    amount = money(Decimal(amount))
    if amount <= 0:
        raise PaymentError("Le montant du règlement doit être positif.")
    if mode not in Payment.Mode.values:
        raise PaymentError("Mode de paiement inconnu.")
    with transaction.atomic():
        locked = []
        if invoices:
            ids = sorted({inv.pk for inv in invoices})
            locked = list(Invoice.objects.select_for_update().filter(pk__in=ids).order_by("due_on", "pk"))
            for invoice in locked:
                if invoice.family_id != family.pk:
                    raise PaymentError(f"La facture {invoice.number} n'est pas une facture de cette famille.")
                if invoice.regie_id != regie.pk:
                    raise PaymentError(f"La facture {invoice.number} relève d'une autre régie.")
        payment = Payment.objects.create(
            regie=regie, family=family, payer=payer, payer_name=payer_name or (payer.full_name if payer else ""),
            mode=mode, amount=amount, received_on=received_on, reference=reference, bank=bank, note=note,
            recorded_by=by, online_transaction=online_transaction,
        )
        left = amount
        allocations = []
        for invoice in locked:
            if left <= 0:
                break
            share = min(left, invoice.remaining)
            if share <= 0:
                continue
            allocations.append(PaymentAllocation(payment=payment, invoice=invoice, amount=share))
            invoice.paid_amount += share
            invoice_status_refresh(invoice)
            invoice.save(update_fields=["paid_amount", "status"])
            left -= share
        PaymentAllocation.objects.bulk_create(allocations)
        invoice_pdfs_render_on_commit([a.invoice_id for a in allocations])  # « Déjà réglé » has moved
        if invoices and not allocations and mode != Payment.Mode.ONLINE:
            raise PaymentError("Les factures choisies sont déjà réglées.")
        AuditLog.objects.create(
            actor=by, family=family, action="billing.payment",
            summary=f"Règlement {payment.get_mode_display()} de {euros(amount)} € ({regie.prefix})"[:300],
            new_values={
                "payment": payment.pk, "mode": mode, "amount": str(amount), "received_on": str(received_on),
                "reference": reference, "allocations": {a.invoice.number: str(a.amount) for a in allocations},
            },
        )
    return payment


# --- Online payment ----------------------------------------------------------------------------


def invoice_payable_online(invoice, active_transactions=()):
    """(payable, reason) for the « Payer » button."""
    if invoice.status != Invoice.Status.DUE or invoice.remaining <= 0:
        return False, "Facture réglée"
    if not online_payment_offered(invoice.regie):
        return False, "Paiement en ligne non proposé"
    if any(t.invoice_id == invoice.pk for t in active_transactions):
        return False, "Paiement en cours"
    return True, ""


def _reference():
    return "P" + secrets.token_hex(10).upper()


def online_payment_start(*, invoice, email, user=None, now=None):
    """Create the transaction for the whole remaining amount and get the provider's redirect URL.

    An invoice already paid, or with a payment in progress, cannot be paid again.
    """
    now = now or timezone.now()
    email = (email or "").strip()
    if not email or "@" not in email:
        raise PaymentError("Indiquez l'adresse e-mail à laquelle envoyer le reçu.")
    provider = provider_for(invoice.regie)
    if not settings.DEBUG and provider.name == "payfip_ws" and invoice.regie.payfip_mode == "T":
        raise PaymentError("Le paiement en ligne de cette régie est en mode test : il est désactivé.")
    try:
        with transaction.atomic():
            locked = Invoice.objects.select_for_update(of=("self",)).select_related("regie").get(pk=invoice.pk)
            if locked.status != Invoice.Status.DUE or locked.remaining <= 0:
                raise PaymentError(f"La facture {locked.number} est déjà réglée.")
            if OnlineTransaction.objects.filter(invoice=locked, state__in=OnlineTransaction.ACTIVE_STATES).exists():
                raise PaymentError(
                    f"Un paiement de la facture {locked.number} est déjà en cours. "
                    "Cliquez sur « Actualiser l'état des paiements » pour connaître son résultat."
                )
            tx = OnlineTransaction.objects.create(
                invoice=locked, family_id=locked.family_id, regie=locked.regie, user=user, provider=provider.name,
                reference=_reference(), amount=locked.remaining, email=email[:254], started_at=now,
            )
    except IntegrityError as exc:  # the partial unique index: another start won the race
        raise PaymentError("Un paiement de cette facture est déjà en cours.") from exc
    notify_url = settings.PORTAL_BASE_URL + reverse("billing:payment_notify", kwargs={"provider": provider.name})
    return_url = settings.PORTAL_BASE_URL + reverse("billing:payment_return", kwargs={"reference": tx.reference})
    try:
        operation_id, redirect_url = provider.start(tx, notify_url=notify_url, return_url=return_url)
    except PaymentError as exc:
        tx.state = OnlineTransaction.State.ERROR
        tx.provider_status = str(exc)[:200]
        tx.finished_at = timezone.now()
        tx.save(update_fields=["state", "provider_status", "finished_at"])
        raise
    tx.provider_transaction_id = operation_id
    tx.state = OnlineTransaction.State.PENDING
    tx.save(update_fields=["provider_transaction_id", "state"])
    return tx, redirect_url


# What one notification may store, and how many rejections of one source are kept one by one before
# they are summarised in a single row (issue 15: the public endpoint must not fill the database).
NOTIFICATION_RAW_MAX_CHARS = 2000
REJECTIONS_KEPT_PER_SOURCE = 10
REJECTIONS_WINDOW_SECONDS = 3600


def _clean_text(value, size):
    """``value`` cut to ``size`` characters, NUL bytes shown as ``\\x00`` (PostgreSQL refuses them)."""
    value = value.replace("\x00", "\\x00")
    return value if len(value) <= size else value[: size - 1] + "…"


def _notification_log(*, provider, source, raw, remote_addr, outcome, reason="", transaction_obj=None, data=None):
    provider, remote_addr = _clean_text(provider, 12), _clean_text(remote_addr, 64)
    raw, reason = _clean_text(raw, NOTIFICATION_RAW_MAX_CHARS), _clean_text(reason, 300)
    if outcome == PaymentNotification.Outcome.REJECTED:
        logger.warning("Payment notification rejected (%s, %s from %s): %s", provider, source, remote_addr, reason)
    if outcome == PaymentNotification.Outcome.REJECTED and transaction_obj is None:
        summary = _rejection_summarised(provider=provider, source=source, raw=raw, remote_addr=remote_addr, reason=reason)
        if summary is not None:
            return summary
    return PaymentNotification.objects.create(
        provider=provider, source=source, transaction=transaction_obj, remote_addr=remote_addr,
        raw=raw, provider_data=data or {}, outcome=outcome, reason=reason,
    )


def _rejection_summarised(*, provider, source, raw, remote_addr, reason):
    """Past ``REJECTIONS_KEPT_PER_SOURCE`` rejections of one address within the window (rejections that
    match no transaction: a rejection about a real payment is always kept), keep one summary
    row for that address (count, last reason, last content) instead of a row each; None below the limit.
    The count lives in the shared cache (Redis in production), so every portal process counts together."""
    count = hit_count(scope="payment-notify-rejected", ident=remote_addr, period=REJECTIONS_WINDOW_SECONDS)
    if count <= REJECTIONS_KEPT_PER_SOURCE:
        return None
    summary_key = f"billing:notify-rejected-summary:{remote_addr}"
    summary_id, since = cache.get(summary_key) or (None, f"{timezone.localtime():%d/%m/%Y %H:%M}")
    reason = _clean_text(
        f"Résumé : {count - REJECTIONS_KEPT_PER_SOURCE} autre(s) notification(s) rejetée(s) de cette adresse "
        f"depuis le {since} ; dernier motif : {reason}", 300,
    )
    if summary_id and PaymentNotification.objects.filter(pk=summary_id).update(reason=reason, raw=raw):
        return PaymentNotification.objects.get(pk=summary_id)
    row = PaymentNotification.objects.create(
        provider=provider, source=source, remote_addr=remote_addr, raw=raw,
        outcome=PaymentNotification.Outcome.REJECTED, reason=reason,
    )
    cache.set(summary_key, (row.pk, since), REJECTIONS_WINDOW_SECONDS)
    return row


def online_payment_notify(*, provider, body, query_string="", remote_addr="", source="callback"):
    """Handle a provider notification; returns the ``PaymentNotification`` recording it."""
    raw = body.decode("utf-8", "replace") if isinstance(body, bytes) else (body or "")
    if query_string:
        raw = f"{raw}\n?{query_string}" if raw else f"?{query_string}"
    cls = provider_class(provider)
    if cls is None or (provider == "fake" and not settings.PAYMENT_FAKE_PROVIDER):
        return _notification_log(
            provider=provider, source=source, raw=raw, remote_addr=remote_addr,
            outcome=PaymentNotification.Outcome.REJECTED, reason="Fournisseur inconnu ou désactivé.",
        )
    try:
        operation_id = cls(None).notification_operation_id(body=body, query_string=query_string)
    except ProviderError as exc:
        return _notification_log(
            provider=provider, source=source, raw=raw, remote_addr=remote_addr,
            outcome=PaymentNotification.Outcome.REJECTED, reason=str(exc),
        )
    tx = (
        OnlineTransaction.objects.select_related("regie", "invoice")
        .filter(provider=provider, provider_transaction_id=operation_id)
        .first()
    )
    if tx is None:
        return _notification_log(
            provider=provider, source=source, raw=raw, remote_addr=remote_addr,
            outcome=PaymentNotification.Outcome.REJECTED, reason=f"Opération inconnue : {operation_id[:60]}",
        )
    return online_payment_refresh(transaction_obj=tx, source=source, raw=raw, remote_addr=remote_addr)


def online_payment_refresh(*, transaction_obj, source="status", raw="", remote_addr="", now=None):
    """Ask the provider for the transaction's real state and record it (idempotent)."""
    tx = transaction_obj
    try:
        result = provider_for(tx.regie, tx.provider).fetch_status(tx)
    except PaymentError as exc:
        return _notification_log(
            provider=tx.provider, source=source, raw=raw, remote_addr=remote_addr, transaction_obj=tx,
            outcome=PaymentNotification.Outcome.REJECTED, reason=f"Fournisseur injoignable : {exc}",
        )
    return payment_record_result(transaction_id=tx.pk, result=result, source=source, raw=raw, remote_addr=remote_addr, now=now)


def _result_problem(tx, result):
    if not (result.signed or settings.PAYMENT_CONSIDER_ALL_RESPONSES_SIGNED):
        return "Réponse non signée ni vérifiée."
    if result.test and not settings.PAYMENT_ACCEPT_TEST_MODE:
        return "Réponse en mode test."
    if result.operation_id and result.operation_id != tx.provider_transaction_id:
        return "Identifiant d'opération différent."
    if result.state == OnlineTransaction.State.PAID:
        if result.reference != tx.reference:
            return f"Référence différente ({result.reference[:30]} au lieu de {tx.reference})."
        expected = int((tx.amount * 100).to_integral_value())
        if result.amount_cents != expected:
            return f"Montant différent ({result.amount_cents} centimes au lieu de {expected})."
    return ""


def payment_record_result(*, transaction_id, result, source="callback", raw="", remote_addr="", now=None):
    """Record a verified provider result once; a replay or a contradicting answer changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        tx = OnlineTransaction.objects.select_for_update(of=("self",)).select_related("regie").get(pk=transaction_id)
        log = {"provider": tx.provider, "source": source, "raw": raw, "remote_addr": remote_addr, "transaction_obj": tx, "data": result.data}
        problem = _result_problem(tx, result)
        if problem:
            return _notification_log(**log, outcome=PaymentNotification.Outcome.REJECTED, reason=problem)
        late_payment = tx.state in OnlineTransaction.FINAL_STATES and tx.state != OnlineTransaction.State.PAID and (
            result.state == OnlineTransaction.State.PAID
        )
        if tx.state in OnlineTransaction.FINAL_STATES and not late_payment:
            # Money taken after we expired the attempt is still recorded (late_payment); anything else is a replay.
            return _notification_log(
                **log, outcome=PaymentNotification.Outcome.DUPLICATE, reason=f"Transaction déjà terminée ({tx.get_state_display()})."
            )
        if result.state == OnlineTransaction.State.PENDING:
            tx.provider_status = result.status_text[:200]
            tx.save(update_fields=["provider_status"])
            return _notification_log(**log, outcome=PaymentNotification.Outcome.ACCEPTED, reason="Paiement toujours en cours.")
        tx.state = result.state
        tx.provider_status = result.status_text[:200]
        tx.finished_at = now
        tx.save(update_fields=["state", "provider_status", "finished_at"])
        if result.state == OnlineTransaction.State.PAID:
            invoice = tx.invoice
            payment_record(
                family=invoice.family, regie=tx.regie, mode=Payment.Mode.ONLINE, amount=tx.amount,
                received_on=timezone.localdate(now), invoices=[invoice], payer=invoice.payer,
                payer_name=invoice.payer_name, reference=tx.reference, online_transaction=tx,
                note=f"Paiement en ligne {tx.get_provider_display()}",
            )
            email_queue(
                to=tx.email, template="payment_receipt",
                context={"transaction": tx, "invoice": invoice, "regie": tx.regie}, related=invoice,
            )
        return _notification_log(**log, outcome=PaymentNotification.Outcome.ACCEPTED, reason=tx.get_state_display())


def online_payments_refresh_family(*, family):
    """« Actualiser l'état des paiements »: ask the provider about the family's pending transactions."""
    pending = list(
        OnlineTransaction.objects.select_related("regie", "invoice")
        .filter(family=family, state=OnlineTransaction.State.PENDING)
        .order_by("started_at")[:20]
    )
    for tx in pending:
        online_payment_refresh(transaction_obj=tx, source="refresh")
    return len(pending)


def online_payments_reconcile(*, now=None):
    """Periodic job: ask about transactions left pending; expire abandoned ones. Returns counts."""
    now = now or timezone.now()
    counts = {"checked": 0, "expired": 0}
    stale = OnlineTransaction.objects.select_related("regie", "invoice").filter(
        state__in=OnlineTransaction.ACTIVE_STATES, started_at__lte=now - timezone.timedelta(minutes=5)
    )
    expiry = now - timezone.timedelta(minutes=settings.PAYMENT_PENDING_EXPIRY_MINUTES)
    for tx in stale.order_by("started_at")[:500]:
        if tx.state == OnlineTransaction.State.PENDING and tx.provider_transaction_id:
            online_payment_refresh(transaction_obj=tx, source="reconcile", now=now)
            counts["checked"] += 1
        tx.refresh_from_db(fields=["state"])
        if tx.is_active and tx.started_at <= expiry:
            # Safe even if the money arrives later: payment_record_result still records a late payment.
            OnlineTransaction.objects.filter(pk=tx.pk, state__in=OnlineTransaction.ACTIVE_STATES).update(
                state=OnlineTransaction.State.EXPIRED, finished_at=now, provider_status="Expiré (abandonné)"
            )
            tx.refresh_from_db(fields=["state"])
        if tx.state == OnlineTransaction.State.EXPIRED:
            counts["expired"] += 1
    return counts

