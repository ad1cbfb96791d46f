"""Pure SMS rules (E.164, GSM-7 / UCS-2 segments), the providers, and the production checks."""
import ovh
import pytest
from django.core.checks import Error

from messaging import checks
from messaging.sms import (
    GSM7, UCS2, FakeSmsProvider, OvhSmsProvider, SmsSendError, mobile_to_e164, sms_encoding, sms_length, sms_segments,
)


@pytest.mark.parametrize("raw, expected", [
    ("06 12 34 56 78", "+33612345678"),
    ("07.81.23.45.67", "+33781234567"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("+32 470 12 34 56", "+32470123456"),      # a Belgian mobile stays Belgian
])
def test_mobile_numbers_become_e164(raw, expected):
    assert mobile_to_e164(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "04 75 00 00 00", "06 12 34", "pas un numéro", "+33 1 23 45 67 89"])
def test_landlines_and_typos_get_no_sms(raw):
    assert mobile_to_e164(raw) is None


def test_gsm7_text_fits_160_characters_in_one_sms():
    text = "Réunion mercredi à 18h à l'accueil de loisirs. " * 4
    text = text[:160]
    assert sms_encoding(text) == GSM7
    result = sms_segments(text)
    assert result.count == 1 and result.parts == (text,) and result.length == 160


def test_gsm7_over_160_is_cut_in_parts_of_153():
    text = "a" * 161
    result = sms_segments(text)
    assert [len(p) for p in result.parts] == [153, 8]
    assert "".join(result.parts) == text


def test_gsm7_extension_characters_count_twice_and_are_never_split():
    text = "€" * 80  # 160 septets: still one SMS
    assert sms_length(text) == 160 and sms_segments(text).count == 1
    text = "a" * 152 + "€" + "b" * 10  # the euro would straddle the first part's end: it moves to the second
    parts = sms_segments(text).parts
    assert parts == ("a" * 152, "€" + "b" * 10)


def test_a_character_outside_gsm7_switches_to_ucs2_70_then_67():
    assert sms_encoding("Fête de l'école") == UCS2  # « ê » is not in the GSM alphabet
    assert sms_segments("ê" * 70).count == 1
    result = sms_segments("ê" * 71)
    assert [len(p) for p in result.parts] == [67, 4]


def test_ucs2_surrogate_pairs_count_twice_and_stay_whole():
    text = "ê" * 66 + "😀" + "x" * 5  # 73 units: two parts; the emoji's 2 units do not fit after 66
    assert sms_length("😀") == 2
    assert sms_segments(text).parts == ("ê" * 66, "😀xxxxx")


def test_empty_text_has_no_part():
    assert sms_segments("").count == 0


def test_fake_provider_accepts_e164_only():
    assert FakeSmsProvider().send(to="+33612345678", text="Bonjour").startswith("fake-")
    with pytest.raises(SmsSendError):
        FakeSmsProvider().send(to="0612345678", text="Bonjour")


class _OvhClient:
    def __init__(self, answer=None, error=None):
        self.calls, self.answer, self.error = [], answer, error

    def post(self, path, **job):
        self.calls.append((path, job))
        if self.error:
            raise self.error
        return self.answer


def test_ovh_provider_posts_a_job_and_returns_its_id(settings):
    settings.OVH_SMS_SERVICE, settings.SMS_SENDER = "sms-ab12345-1", "MAIRIE"
    client = _OvhClient({"ids": [987], "validReceivers": ["+33612345678"], "invalidReceivers": [],
                         "totalCreditsRemoved": 1})
    assert OvhSmsProvider(client=client).send(to="+33612345678", text="Bonjour") == "987"
    path, job = client.calls[0]
    assert path == "/sms/sms-ab12345-1/jobs"
    assert job["receivers"] == ["+33612345678"] and job["message"] == "Bonjour" and job["sender"] == "MAIRIE"

    refused = _OvhClient({"ids": [], "validReceivers": [], "invalidReceivers": ["+33612345678"]})
    with pytest.raises(SmsSendError) as exc:
        OvhSmsProvider(client=refused).send(to="+33612345678", text="x")
    assert exc.value.permanent

    down = _OvhClient(error=ovh.exceptions.NetworkError("timeout"))
    with pytest.raises(SmsSendError) as exc:
        OvhSmsProvider(client=down).send(to="+33612345678", text="x")
    assert not exc.value.permanent


def test_production_refuses_the_fake_provider_and_a_half_configured_ovh(settings):
    settings.SMS_PROVIDER = "fake"
    assert [e.id for e in checks.sms_settings_errors()] == ["messaging.E001"]
    settings.SMS_PROVIDER = "ovh"
    settings.OVH_APPLICATION_KEY = ""
    errors = checks.sms_settings_errors()
    assert [e.id for e in errors] == ["messaging.E003"] and isinstance(errors[0], Error)
    settings.OVH_APPLICATION_KEY = settings.OVH_APPLICATION_SECRET = settings.OVH_CONSUMER_KEY = "k"
    settings.OVH_SMS_SERVICE = "sms-ab12345-1"
    assert checks.sms_settings_errors() == []
    settings.SMS_PROVIDER = ""
    assert checks.sms_settings_errors() == []


def test_the_check_is_silent_with_debug(settings):
    settings.SMS_PROVIDER, settings.DEBUG = "fake", True
    assert checks.sms_settings_check() == []
