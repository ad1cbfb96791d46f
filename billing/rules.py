"""Pure rules of the billing side: no ORM, trivial to test."""
from decimal import Decimal


def online_payment_refusal(*, due, remaining, offered, in_progress, direct_debit):
    """Why an invoice cannot be paid online now, in a parent's words; "" when it can.

    ``due``: its state is « à payer »; ``remaining``: what is left to pay; ``offered``: its régie
    takes online payments; ``in_progress``: an online payment of it is started or pending;
    ``direct_debit``: it is in a direct-debit file, or the family's mandate is active and its régie
    collects by direct debit (paying it online too would take the money twice).
    The invoices page (« Payer », the checkboxes) and the payment service ask this one function.
    """
    if not due or remaining <= 0:
        return "elle est déjà réglée"
    if direct_debit:
        return "elle est réglée par prélèvement automatique"
    if not offered:
        return "le paiement en ligne n'est pas proposé pour cette régie"
    if in_progress:
        return "un paiement en ligne de cette facture est déjà en cours"
    return ""


def online_amount_refusal(amount, *, minimum=None, maximum=None):
    """Why the provider cannot take ``amount`` in one payment; "" when it can (limits in euros)."""
    if minimum is not None and amount < Decimal(minimum):
        return (
            f"Le paiement en ligne n'est possible qu'à partir de {_euros(minimum)} € : cochez d'autres factures "
            "ou réglez celle-ci par chèque ou à l'accueil de la régie."
        )
    if maximum is not None and amount > Decimal(maximum):
        return (
            f"Un paiement en ligne ne peut pas dépasser {_euros(maximum)} € : cochez moins de factures "
            "et payez les autres dans un second paiement."
        )
    return ""


def _euros(value):
    """« 100 000,00 »: thousands with a narrow space, decimal comma (no ORM, no pricing import cycle)."""
    whole, cents = f"{Decimal(value):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return "\u202f".join(groups) + "," + cents
