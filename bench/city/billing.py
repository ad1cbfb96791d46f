"""Invoices of the city: one invoice per family, régie and month fully past (issued on the 5th of the
next month, up to a year back) with its lines, payments, their allocations and online transactions,
and the number sequences. The current month is left to invoice (bench/invoicing.py issues it)."""
import datetime
from collections import defaultdict
from decimal import Decimal

from billing.models import (
    Invoice, InvoiceLine, NumberSequence, OnlineTransaction, OnlineTransactionInvoice, Payment, PaymentAllocation,
)
from billing.pricing import bracket_price, line_amount, money
from enrolment.rules import PARIS

from .bulk import Copier, Ids, copy_rows
from .shared import family_number, month_end, month_iter

COPIED = (Invoice, InvoiceLine, Payment, PaymentAllocation, OnlineTransaction, OnlineTransactionInvoice)
PAYMENT_MODES = [("online", 45), ("direct_debit", 20), ("cheque", 15), ("transfer", 10), ("cash", 5), ("cesu", 5)]


def _issued_months(today):
    """(first day, issue day) of the months fully past whose invoices went out, the last twelve."""
    issued = []
    for first in month_iter(today - datetime.timedelta(days=400), today):
        issue_day = month_end(first) + datetime.timedelta(days=5)
        if issue_day <= today:
            issued.append((first, issue_day))
    return issued[-12:]


def generate(run, families, cat, billable):
    rng, now, cur, today = run.rng, run.now, run.cur, run.today
    inv_ids, pay_ids, tx_ids = Ids(cur, Invoice), Ids(cur, Payment), Ids(cur, OnlineTransaction)
    by_id = {f["id"]: f for f in families}
    sequences = defaultdict(int)
    price_cache = {}
    invoices = Copier(cur, Invoice, ["id", "regie_id", "family_id", "payer_id", "number", "year", "sequence_number",
                                     "issued_on", "due_on", "period_start", "period_end", "total", "paid_amount",
                                     "credited_amount", "status", "family_name", "family_number", "payer_name",
                                     "payer_address", "created_at"], now)
    line_rows, pay_rows, alloc_rows, tx_rows, item_rows = [], [], [], [], []
    with invoices:
        for first, issue_day in _issued_months(today):
            last = month_end(first)
            for regie in (cat.regie_peri, cat.regie_resto):
                fam_ids = sorted(fid for (m, r, fid) in billable if m == first and r == regie.id)
                for fid in fam_ids:
                    family = by_id[fid]
                    lines, total = [], Decimal("0.00")
                    for bid, child, eid, unit_id, a, day, state_label in billable[(first, regie.id, fid)]:
                        u = cat.units[unit_id]
                        key = (unit_id, family["quotient"])
                        price = price_cache.get(key)
                        if price is None:
                            price = money(u["price"]) if isinstance(u["price"], Decimal) else bracket_price(
                                u["price"], family["quotient"])
                            price_cache[key] = price
                        amount = line_amount(1, price)
                        total += amount
                        lines.append((bid, child["id"], eid, unit_id, child["label"], a["name"], u["name"],
                                      u["tariff_label"], day, state_label, 1, price, amount))
                    year = issue_day.year
                    sequences[(regie.id, year)] += 1
                    seq = sequences[(regie.id, year)]
                    iid = inv_ids.next()
                    payer = family["guardians"][0]
                    age_days = (today - issue_day).days
                    r = rng.random()
                    if age_days > 45:
                        paid = total if r < 0.92 else (money(total / 2) if r < 0.95 else Decimal("0.00"))
                    else:
                        paid = total if r < 0.45 else Decimal("0.00")
                    status = "paid" if paid >= total else "due"
                    invoices.row(iid, regie.id, fid, payer["id"], f"{regie.prefix}-{year}-{seq:05d}", year, seq,
                                 issue_day, issue_day + datetime.timedelta(days=regie.due_days), first, last,
                                 money(total), paid, Decimal("0.00"), status, family["name"],
                                 family_number(family["index"]), payer["name"], family["address"],
                                 datetime.datetime.combine(issue_day, datetime.time(6), tzinfo=PARIS))
                    for line in lines:
                        line_rows.append((iid,) + line)
                    if paid > 0:
                        mode = rng.choices([m for m, _ in PAYMENT_MODES], weights=[w for _, w in PAYMENT_MODES])[0]
                        received = min(issue_day + datetime.timedelta(days=rng.randint(2, 28)), today)
                        pid = pay_ids.next()
                        tx = None
                        if mode == "online":
                            tx = tx_ids.next()
                            started = datetime.datetime.combine(received, datetime.time(21, 5), tzinfo=PARIS)
                            tx_rows.append((tx, fid, regie.id, payer["user_id"], "payfip_ws",
                                            f"V{tx:09d}", f"OP{tx:012d}", paid, payer["email"], "paid",
                                            "Paiement accepté", started, started + datetime.timedelta(minutes=3)))
                            item_rows.append((tx, iid, paid, False))
                        pay_rows.append((pid, regie.id, fid, payer["id"], payer["name"], mode, paid, received,
                                         f"CHQ {rng.randint(1000000, 9999999)}" if mode == "cheque" else "",
                                         tx, datetime.datetime.combine(received, datetime.time(10), tzinfo=PARIS)))
                        alloc_rows.append((pid, iid, paid))
    lines = copy_rows(cur, now, InvoiceLine, ["invoice_id", "booking_id", "child_id", "enrolment_id", "unit_id",
                                              "child_name", "activity_name", "unit_name", "tariff_label", "date",
                                              "state_label", "quantity", "unit_price", "amount"], line_rows)
    txs = copy_rows(cur, now, OnlineTransaction, ["id", "family_id", "regie_id", "user_id",
                                                  "provider", "reference", "provider_transaction_id", "amount",
                                                  "email", "state", "provider_status", "started_at",
                                                  "finished_at"], tx_rows)
    copy_rows(cur, now, OnlineTransactionInvoice, ["transaction_id", "invoice_id", "amount", "active"], item_rows)
    pays = copy_rows(cur, now, Payment, ["id", "regie_id", "family_id", "payer_id", "payer_name", "mode", "amount",
                                         "received_on", "reference", "online_transaction_id", "created_at"],
                     pay_rows)
    copy_rows(cur, now, PaymentAllocation, ["payment_id", "invoice_id", "amount"], alloc_rows)
    NumberSequence.objects.bulk_create([
        NumberSequence(regie_id=regie_id, year=year, kind="invoice", last_number=last)
        for (regie_id, year), last in sorted(sequences.items())
    ])
    run.counts.update({"factures": invoices.count, "lignes de facture": lines, "règlements": pays,
                       "paiements en ligne": txs})
    run.log(f"factures : {invoices.count}, lignes : {lines}, règlements : {pays}")

