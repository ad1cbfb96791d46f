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

from families import counters
from portal.errors import PaymentError
from portal.mail import email_queue
from portal.models import AuditLog
from portal.ratelimit import hit_count

from ..models import Invoice, OnlineTransaction, OnlineTransactionInvoice, Payment, PaymentAllocation, PaymentNotification
from ..pricing import ZERO, euros, money
from ..providers import ProviderError, provider_class, provider_for
from ..rules import online_amount_refusal
from ..selectors import invoice_online_refusal, online_payability_terms
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
        counters.recount(["balance"], [family.pk])  # the family's counter row, the transaction's last lock
    return payment


# --- Online payment ----------------------------------------------------------------------------


def _reference():
    return "P" + secrets.token_hex(10).upper()


def _subject(invoices):
    """What the provider shows and keeps (PayFiP's ``objet``, cut by eopayment to 100 characters)."""
    if len(invoices) == 1:
        return f"Facture {invoices[0].number}"
    return f"{len(invoices)} factures " + " ".join(invoice.number for invoice in invoices)


def online_payment_check(invoices):
    """The one check of what a parent asks to pay online: ``(regie, provider, total)``, or ``PaymentError``
    with the parent's message. The invoices carry their régie and ``selectors.online_payability_terms``.

    The recap page runs it on the invoices as listed, ``online_payment_start`` again on the locked rows.
    """
    if not invoices:
        raise PaymentError("Cochez au moins une facture à payer.")
    if len({invoice.family_id for invoice in invoices}) != 1:
        raise PaymentError("Les factures choisies doivent être celles d'une même famille.")
    regies = {invoice.regie_id: invoice.regie for invoice in invoices}
    if len(regies) != 1:
        names = " et ".join(sorted(regie.name for regie in regies.values()))
        raise PaymentError(
            f"Les factures cochées relèvent de régies différentes ({names}) : payez celles de chaque régie séparément."
        )
    [regie] = regies.values()
    for invoice in invoices:
        reason = invoice_online_refusal(invoice)
        if reason:
            hint = " Cliquez sur « Actualiser l'état des paiements » pour connaître son résultat." if invoice.payment_in_progress else ""
            raise PaymentError(f"La facture {invoice.number} ne peut pas être payée en ligne : {reason}.{hint}")
    provider = provider_for(regie)
    if not settings.DEBUG and provider.name == "payfip_ws" and regie.payfip_mode == "T":
        raise PaymentError("Le paiement en ligne de cette régie est en mode test : il est désactivé.")
    total = sum((invoice.remaining for invoice in invoices), ZERO)
    minimum, maximum = provider.amount_limits()
    problem = online_amount_refusal(total, minimum=minimum, maximum=maximum)
    if problem:
        raise PaymentError(problem)
    return regie, provider, total


def online_payment_start(*, invoices, email, user=None, now=None):
    """One online payment for ``invoices`` (one or several, of one family and one régie) for the sum of
    what remains on each, and the provider's redirect URL. Moves no money.

    Lock, then check, then write: the invoices are locked in id order, checked by ``online_payment_check``
    (already paid, under direct debit, a payment already in progress, régies, the provider's limits),
    and the transaction and its invoices are written in the same database transaction, so two submissions
    of overlapping invoices cannot both start (the partial unique index on active items backs it).
    The view passes only invoices this parent may see (``selectors.visible_invoices``).
    """
    now = now or timezone.now()
    email = (email or "").strip()
    invoices = list(invoices)
    if not invoices:
        raise PaymentError("Cochez au moins une facture à payer.")
    if not email or "@" not in email:
        raise PaymentError("Indiquez l'adresse e-mail à laquelle envoyer le reçu.")
    family_id = invoices[0].family_id
    ids = sorted({invoice.pk for invoice in invoices})
    try:
        with transaction.atomic():
            locked = list(
                Invoice.objects.select_for_update(of=("self",)).select_related("regie")
                .filter(pk__in=ids, family_id=family_id).order_by("pk")
            )
            if len(locked) != len(ids):
                raise PaymentError("Les factures choisies doivent être celles d'une même famille.")
            # Read after the lock, in a statement of its own: it sees what a concurrent start committed.
            terms = {
                row[0]: row[1:] for row in Invoice.objects.filter(pk__in=ids).annotate(**online_payability_terms(family_id))
                .values_list("pk", "payment_in_progress", "in_debit_file", "mandate_active")
            }
            for invoice in locked:
                invoice.payment_in_progress, invoice.in_debit_file, invoice.mandate_active = terms[invoice.pk]
            locked.sort(key=lambda invoice: (invoice.due_on, invoice.pk))
            regie, provider, total = online_payment_check(locked)
            tx = OnlineTransaction.objects.create(
                family_id=family_id, regie=regie, user=user, provider=provider.name,
                reference=_reference(), amount=total, email=email[:254], started_at=now,
            )
            OnlineTransactionInvoice.objects.bulk_create(
                [OnlineTransactionInvoice(transaction=tx, invoice=invoice, amount=invoice.remaining) for invoice in locked]
            )
    except IntegrityError as exc:  # the partial unique index on active items: another start won the race
        raise PaymentError("Un paiement de l'une de ces factures est déjà en cours.") from exc
    notify_url = settings.PORTAL_BASE_URL + reverse("billing:payment_notify", kwargs={"provider": provider.name})
    return_url = settings.PORTAL_BASE_URL + reverse("billing:payment_return", kwargs={"reference": tx.reference})
    try:
        operation_id, redirect_url = provider.start(
            tx, notify_url=notify_url, return_url=return_url, subject=_subject(locked),
            year=max(invoice.year for invoice in locked),
        )
    except PaymentError as exc:
        _transaction_end(tx, state=OnlineTransaction.State.ERROR, status=str(exc), now=timezone.now())
        raise
    tx.provider_transaction_id = operation_id
    tx.state = OnlineTransaction.State.PENDING
    tx.save(update_fields=["provider_transaction_id", "state"])
    return tx, redirect_url


def _transaction_end(tx, *, state, status, now):
    """Record a final state; the transaction's invoices are no longer « being paid » (items inactive)."""
    tx.state = state
    tx.provider_status = status[:200]
    tx.finished_at = now
    tx.save(update_fields=["state", "provider_status", "finished_at"])
    OnlineTransactionInvoice.objects.filter(transaction_id=tx.pk, active=True).update(active=False)


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
        OnlineTransaction.objects.select_related("regie")
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
        tx = OnlineTransaction.objects.select_for_update(of=("self",)).select_related("regie", "family").get(pk=transaction_id)
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
        _transaction_end(tx, state=result.state, status=result.status_text, now=now)
        if result.state == OnlineTransaction.State.PAID:
            # One payment for the whole amount, allocated to each invoice of the transaction (each had its
            # remaining amount in the sum, so each is settled in full; what a cheque recorded meanwhile
            # left over stays as a credit, as for any payment).
            invoices = [
                item.invoice for item in tx.items.select_related("invoice__payer").order_by("invoice__due_on", "invoice_id")
            ]
            first = invoices[0]
            payment_record(
                family=tx.family, regie=tx.regie, mode=Payment.Mode.ONLINE, amount=tx.amount,
                received_on=timezone.localdate(now), invoices=invoices, payer=first.payer,
                payer_name=first.payer_name, reference=tx.reference, online_transaction=tx,
                note=f"Paiement en ligne {tx.get_provider_display()}",
            )
            email_queue(
                to=tx.email, template="payment_receipt",
                context={"transaction": tx, "invoices": invoices, "regie": tx.regie}, related=tx,
            )
        return _notification_log(**log, outcome=PaymentNotification.Outcome.ACCEPTED, reason=tx.get_state_display())


def online_payments_refresh_family(*, family):
    """« Actualiser l'état des paiements »: ask the provider about the family's pending transactions."""
    pending = list(
        OnlineTransaction.objects.select_related("regie")
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
    stale = OnlineTransaction.objects.select_related("regie").filter(
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
            with transaction.atomic():
                if OnlineTransaction.objects.filter(pk=tx.pk, state__in=OnlineTransaction.ACTIVE_STATES).update(
                    state=OnlineTransaction.State.EXPIRED, finished_at=now, provider_status="Expiré (abandonné)"
                ):
                    OnlineTransactionInvoice.objects.filter(transaction_id=tx.pk).update(active=False)
            tx.refresh_from_db(fields=["state"])
        if tx.state == OnlineTransaction.State.EXPIRED:
            counts["expired"] += 1
    return counts

