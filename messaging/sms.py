"""SMS: phone numbers in E.164, the length rules of an SMS, and the providers that send one.

Pure functions first (no ORM, no network): ``mobile_to_e164`` and ``sms_segments``. Then one small
provider interface (``SmsProvider.send``), with two implementations:

- ``OvhSmsProvider``: OVHcloud's SMS API (``POST /sms/{serviceName}/jobs``) through OVH's own client
  (the ``ovh`` package, which signs each request);
- ``FakeSmsProvider``: for the demo and the tests. Sends nothing; the ``SmsMessage`` row that asked for the
  sending is the record staff see (« SMS envoyés »). A system check refuses it when ``DEBUG`` is off.

``sms_provider()`` builds the one configured by ``SMS_PROVIDER`` (``""``: SMS are off).
"""
import abc
import uuid
from dataclasses import dataclass

import ovh
import phonenumbers
from django.conf import settings

# GSM 03.38 default alphabet (one septet each) and its extension table (two septets: escape + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7 = "GSM-7"
UCS2 = "UCS-2"
# One SMS: 160 septets or 70 UTF-16 units. Concatenated, each part loses room to its header (UDH).
SINGLE_LIMIT = {GSM7: 160, UCS2: 70}
PART_LIMIT = {GSM7: 153, UCS2: 67}
MAX_PARTS = 6  # the longest message we let staff send (6 × 153 = 918 GSM-7 characters)


def sms_encoding(text):
    """``GSM-7`` when every character is in the GSM alphabet, else ``UCS-2`` (accents like « ê » or « ç »
    minuscule are not all in it: « é » is, « ê » is not)."""
    return GSM7 if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text) else UCS2


def _unit_size(ch, encoding):
    if encoding == GSM7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1  # UTF-16: a character outside the BMP is a surrogate pair


def sms_length(text):
    """Length in the units an SMS counts: septets (GSM-7) or UTF-16 code units (UCS-2)."""
    encoding = sms_encoding(text)
    return sum(_unit_size(ch, encoding) for ch in text)


@dataclass(frozen=True)
class SmsSegments:
    encoding: str
    parts: tuple
    length: int

    @property
    def count(self):
        return len(self.parts)


def sms_segments(text):
    """Cut ``text`` into the parts the network sends: one part up to 160 septets (GSM-7) or 70 UTF-16
    units (UCS-2); beyond, parts of 153 / 67. A two-unit character (GSM-7 escape, UTF-16 surrogate pair)
    is never split across two parts."""
    encoding = sms_encoding(text)
    length = sum(_unit_size(ch, encoding) for ch in text)
    if length <= SINGLE_LIMIT[encoding]:
        return SmsSegments(encoding, (text,) if text else (), length)
    limit = PART_LIMIT[encoding]
    parts, current, used = [], [], 0
    for ch in text:
        size = _unit_size(ch, encoding)
        if used + size > limit:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    if current:
        parts.append("".join(current))
    return SmsSegments(encoding, tuple(parts), length)


def mobile_to_e164(raw, region="FR"):
    """The mobile number ``raw`` in E.164 (« 06 12 34 56 78 » → « +33612345678 »), or None when it is not
    a valid number that can receive an SMS (a landline, a typo)."""
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in (phonenumbers.PhoneNumberType.MOBILE,
                                                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class SmsSendError(Exception):
    """The provider refused or could not be reached; ``message`` is kept on the SMS row."""

    def __init__(self, message, *, permanent=False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class SmsProvider(abc.ABC):
    """Send one SMS to one E.164 number. Returns the provider's id of the sending; raises ``SmsSendError``."""

    name = ""

    @abc.abstractmethod
    def send(self, *, to, text):
        """Each provider (``OvhSmsProvider``, ``FakeSmsProvider``) sends here."""


class FakeSmsProvider(SmsProvider):
    """Sends nothing: the demo and the tests read the ``SmsMessage`` rows (provider « fake »)."""

    name = "fake"

    def send(self, *, to, text):
        if not to.startswith("+"):
            raise SmsSendError("Numéro refusé par le fournisseur de démonstration.", permanent=True)
        return f"fake-{uuid.uuid4().hex[:12]}"


class OvhSmsProvider(SmsProvider):
    """OVHcloud SMS (a French provider): ``POST /sms/{service}/jobs`` through the ``ovh`` client.

    Configured by ``OVH_ENDPOINT`` (``ovh-eu``), ``OVH_APPLICATION_KEY``, ``OVH_APPLICATION_SECRET``,
    ``OVH_CONSUMER_KEY`` (rights: ``POST /sms/*/jobs``), ``OVH_SMS_SERVICE`` (``sms-xx12345-1``) and
    ``SMS_SENDER`` (a sender name validated by OVH, or empty for a short number).
    """

    name = "ovh"

    def __init__(self, *, client=None):
        self.client = client or ovh.Client(
            endpoint=settings.OVH_ENDPOINT, application_key=settings.OVH_APPLICATION_KEY,
            application_secret=settings.OVH_APPLICATION_SECRET, consumer_key=settings.OVH_CONSUMER_KEY,
            timeout=(5, 20),
        )
        self.service = settings.OVH_SMS_SERVICE
        self.sender = settings.SMS_SENDER

    def send(self, *, to, text):
        job = {"message": text, "receivers": [to], "charset": "UTF-8", "priority": "high",
               # Service messages to families, not marketing: no « STOP » clause appended.
               "noStopClause": True}
        if self.sender:
            job["sender"] = self.sender
        else:
            job["senderForResponse"] = True
        try:
            result = self.client.post(f"/sms/{self.service}/jobs", **job)
        except (ovh.exceptions.BadParametersError, ovh.exceptions.ResourceNotFoundError,
                ovh.exceptions.Forbidden, ovh.exceptions.NotCredential, ovh.exceptions.InvalidKey) as exc:
            raise SmsSendError(f"OVH a refusé l'envoi : {exc}", permanent=True) from exc
        except ovh.exceptions.APIError as exc:
            raise SmsSendError(f"OVH injoignable ou en erreur : {exc}") from exc
        if to in (result.get("invalidReceivers") or []) or not result.get("ids"):
            raise SmsSendError("OVH a refusé ce numéro.", permanent=True)
        return str(result["ids"][0])


PROVIDERS = {"fake": FakeSmsProvider, "ovh": OvhSmsProvider}


def sms_enabled():
    return bool(getattr(settings, "SMS_PROVIDER", ""))


def sms_provider():
    """The configured provider, or None when SMS are off (``SMS_PROVIDER`` empty)."""
    name = getattr(settings, "SMS_PROVIDER", "")
    if not name:
        return None
    return PROVIDERS[name]()
