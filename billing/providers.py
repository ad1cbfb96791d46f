"""Online-payment providers behind one small interface, built on eopayment.

A provider does three things (pretix ``BasePaymentProvider`` style):

- ``start(transaction, notify_url=, return_url=)`` → ``(provider_transaction_id, redirect_url)``;
  it moves no money;
- ``notification_operation_id(body=, query_string=)`` → the provider's operation id named by a
  server-to-server notification (or ``ProviderError`` when it is garbled). A notification proves
  nothing by itself: the result always comes from ``fetch_status``;
- ``fetch_status(transaction)`` → a ``ProviderResult`` asked from the provider.

``payfip_ws`` is the DGFiP's PayFiP web-service flavour (create the payment, the notification
carries only ``idOp``, the server asks the real result). The fake provider is the very same
eopayment backend whose SOAP client is replaced by a simulator stored in the portal's database
(``FakeProviderOperation``) with a card page served by the portal, so the loop runs offline.
The legacy unsigned Tipi URL flavour is never used.
"""
import secrets
import zoneinfo
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import eopayment
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from eopayment import payfip_ws

from portal.errors import PaymentError

from .models import FakeProviderOperation

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

# eopayment result codes → OnlineTransaction states
RESULT_STATES = {
    eopayment.PAID: "paid",
    eopayment.ACCEPTED: "pending",
    eopayment.RECEIVED: "pending",
    eopayment.WAITING: "pending",
    eopayment.DENIED: "refused",
    eopayment.CANCELLED: "cancelled",
    eopayment.EXPIRED: "expired",
    eopayment.ERROR: "error",
}


class ProviderError(PaymentError):
    """The provider could not be reached or answered something we cannot use."""


@dataclass
class ProviderResult:
    state: str
    operation_id: str
    signed: bool
    test: bool
    amount_cents: int | None = None
    reference: str = ""
    status_text: str = ""
    data: dict = field(default_factory=dict)


class PaymentProvider(ABC):
    """Start a payment (a redirect; moves no money), read a notification's operation id, ask the real status."""

    name = ""
    label = ""

    @abstractmethod
    def start(self, transaction, *, notify_url, return_url, subject, year):
        """Return ``(provider_transaction_id, redirect_url)``; ``subject`` names the invoices paid, ``year``
        is the financial year of the debt."""

    def amount_limits(self):
        """(minimum, maximum) in euros one payment may take; None where there is no limit."""
        return None, None

    @abstractmethod
    def notification_operation_id(self, *, body, query_string=""):
        """The provider's operation id in a notification; nothing else in it is trusted."""

    @abstractmethod
    def fetch_status(self, transaction):
        """Ask the provider for the real result: a ProviderResult."""


class PayfipProvider(PaymentProvider):
    """PayFiP through eopayment's ``payfip_ws`` backend."""

    name = "payfip_ws"
    label = "PayFiP"

    def __init__(self, regie):
        self.regie = regie

    def _backend(self, *, notify_url="", return_url=""):
        options = {
            "numcli": self.regie.payfip_numcli,
            "saisie": self.regie.payfip_mode,
            "normal_return_url": return_url,
            "automatic_return_url": notify_url,
        }
        return eopayment.Payment(kind="payfip_ws", options=options).backend

    def _redirect_url(self, idop, eopayment_url):
        return eopayment_url

    def amount_limits(self):
        # PayFiP takes 1 € to 100,000 € an operation (eopayment's payfip_ws backend, which refuses beyond).
        return payfip_ws.Payment.minimal_amount, payfip_ws.Payment.maximal_amount

    def start(self, transaction, *, notify_url, return_url, subject, year):
        backend = self._backend(notify_url=notify_url, return_url=return_url)
        try:
            # One operation, one refdet (our reference, 21 letters and digits, within PayFiP's 30) for all
            # the invoices it covers; eopayment reduces the subject to PayFiP's ``objet`` (100 ASCII characters).
            idop, _kind, url = backend.request(
                f"{transaction.amount:.2f}",
                email=transaction.email,
                refdet=transaction.reference,
                exer=str(year),
                subject=subject,
            )
        except (payfip_ws.PayFiPError, ValueError) as exc:
            raise ProviderError("Le service de paiement est indisponible pour le moment ; réessayez plus tard.") from exc
        return str(idop), self._redirect_url(str(idop), url)

    def notification_operation_id(self, *, body, query_string=""):
        for content in (body, query_string):
            if isinstance(content, bytes):
                try:
                    content = content.decode("ascii")
                except UnicodeDecodeError:
                    continue
            if not content:
                continue
            fields = parse_qs(content, strict_parsing=False)
            idop = (fields.get("idOp") or fields.get("idop") or [""])[0]
            if idop and len(idop) <= 100 and idop.isalnum():
                return idop
        raise ProviderError("Notification illisible : identifiant d'opération absent.")

    def fetch_status(self, transaction):
        backend = self._backend()
        try:
            response = backend.payment_status(transaction.provider_transaction_id, transaction_date=transaction.started_at)
        except (payfip_ws.PayFiPError, eopayment.PaymentException) as exc:
            raise ProviderError("Le service de paiement n'a pas répondu ; réessayez plus tard.") from exc
        data = {str(k): ("" if v is None else str(v)) for k, v in (response.bank_data or {}).items()}
        montant = data.get("montant", "")
        return ProviderResult(
            state=RESULT_STATES.get(response.result, "error"),
            operation_id=str(response.order_id or ""),
            signed=bool(response.signed),
            test=bool(response.test),
            amount_cents=int(montant) if montant.isdigit() else None,
            reference=data.get("refdet", ""),
            status_text=str(response.bank_status or "")[:200],
            data=data,
        )


# --- The fake provider ------------------------------------------------------------------------


class _FakeInfo(dict):
    """Quacks like zeep's answer to ``recupererDetailPaiementSecurise``."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc


class FakePayfipService:
    """Stands in for eopayment's PayFiP SOAP client; the "bank" is ``FakeProviderOperation``."""

    def get_idop(self, *, numcli, saisie, exer, refdet, montant, mel, url_notification, url_redirect, objet=None, timeout=None):
        op = FakeProviderOperation.objects.create(
            idop=secrets.token_hex(16), numcli=numcli or "", saisie=saisie, exer=exer, refdet=refdet,
            montant=int(montant), mel=mel, objet=objet or "", url_notification=url_notification, url_redirect=url_redirect,
        )
        return op.idop

    def get_info_paiement(self, idop, timeout=None):
        op = FakeProviderOperation.objects.filter(idop=idop).first()
        if op is None:
            raise payfip_ws.PayFiPError("P1", "IdOp inconnu")
        if not op.resultrans:
            raise payfip_ws.PayFiPError("P5", "Résultat de la transaction non connu")
        decided = timezone.localtime(op.decided_at, PARIS)
        return _FakeInfo(
            numcli=op.numcli, exer=op.exer, refdet=op.refdet, objet=op.objet, montant=str(op.montant), mel=op.mel,
            saisie=op.saisie, resultrans=op.resultrans, numauto=op.numauto,
            dattrans=decided.strftime("%d%m%Y"), heurtrans=decided.strftime("%H%M"),
        )


class FakePayfipBackend(payfip_ws.Payment):
    def __init__(self, options, logger=None):
        super().__init__(options, logger=logger)
        self.payfip = FakePayfipService()


class FakeProvider(PayfipProvider):
    name = "fake"
    label = "Paiement de démonstration"

    def _backend(self, *, notify_url="", return_url=""):
        if not settings.PAYMENT_FAKE_PROVIDER:
            raise ProviderError("Le paiement en ligne de démonstration est désactivé.")
        return FakePayfipBackend(
            {
                "numcli": self.regie.payfip_numcli or "000000",
                "saisie": self.regie.payfip_mode,
                "normal_return_url": return_url,
                "automatic_return_url": notify_url,
            }
        )

    def _redirect_url(self, idop, eopayment_url):
        return reverse("billing:fake_provider", kwargs={"idop": idop})


PROVIDERS = {"payfip_ws": PayfipProvider, "fake": FakeProvider}


def provider_for(regie, name=None):
    name = name or regie.payment_provider
    cls = PROVIDERS.get(name)
    if cls is None:
        raise PaymentError("Le paiement en ligne n'est pas proposé pour cette régie.")
    if name == "fake" and not settings.PAYMENT_FAKE_PROVIDER:
        raise PaymentError("Le paiement en ligne n'est pas proposé pour cette régie.")
    return cls(regie)


def provider_class(name):
    return PROVIDERS.get(name)


def fake_operation_decide(*, op, result, now=None):
    """The card page's decision: "P" paid, "R" refused, "A" abandoned."""
    op.resultrans = result
    op.numauto = f"{secrets.randbelow(10**6):06d}" if result == "P" else ""
    op.decided_at = now or timezone.now()
    op.save(update_fields=["resultrans", "numauto", "decided_at"])
