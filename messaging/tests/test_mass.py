"""Mass messages: who receives them (per target, opt-outs), the delivery (Messagerie, outbox, SMS), the
staff pages."""
import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrolment.models import Booking, Enrolment
from enrolment.tests.factories import ActivityFactory, GroupFactory, StructureFactory, UnitFactory, enrol
from families.tests.factories import ChildFactory, FamilyFactory, GuardianFactory
from messaging import mass_services, selectors
from messaging.models import MassMessage, Message, Service, SmsMessage, Thread
from messaging.sms import SmsSendError
from portal.errors import MessagingError
from portal.gdpr import export_sections
from portal.models import AuditLog, OutboundEmail

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 10)
DAY = datetime.date(2026, 3, 11)


def _family(name, *, allow_email=True, allow_sms=True, mobiles=("06 12 34 56 78",)):
    family = FamilyFactory(name=name, allow_email=allow_email, allow_sms=allow_sms)
    for rank, mobile in enumerate(mobiles, start=1):
        GuardianFactory(family=family, rank=rank, email=f"{name.lower()}{rank}@example.org", mobile_phone=mobile)
    return family, ChildFactory(family=family)


@pytest.fixture
def town(time_machine):
    """Today is 10/03/2026. Two sites; site A has a current activity (two groups, a unit) and last season's; site B one activity."""
    time_machine.move_to(datetime.datetime(2026, 3, 10, 9, tzinfo=datetime.timezone.utc))
    site_a, site_b = StructureFactory(name="Accueil A"), StructureFactory(name="Accueil B")
    current = ActivityFactory(activity_type__structure=site_a, name="Mercredis A", season_start=datetime.date(2025, 9, 1),
                              season_end=datetime.date(2026, 7, 3))
    old = ActivityFactory(activity_type__structure=site_a, name="Mercredis A 2024", season_start=datetime.date(2024, 9, 1),
                          season_end=datetime.date(2025, 7, 4))
    other = ActivityFactory(activity_type__structure=site_b, name="Mercredis B", season_end=datetime.date(2026, 7, 3))
    g1, g2 = GroupFactory(activity=current, name="Maternelle"), GroupFactory(activity=current, name="Élémentaire")
    g_old, g_b = GroupFactory(activity=old), GroupFactory(activity=other)
    unit = UnitFactory(activity=current, name="Journée", code="J")

    families = {}
    families["both"], child = _family("DURAND", mobiles=("06 12 34 56 78", "07 81 23 45 67"))
    enrol(child, current, g1)
    booked_enrolment = Enrolment.objects.get(child=child)
    Booking.objects.create(child=child, unit=unit, date=DAY, enrolment=booked_enrolment, state=Booking.State.RESERVED)
    families["no_email"], child = _family("PETIT", allow_email=False)
    enrol(child, current, g2)
    families["no_sms"], child = _family("ROUX", allow_sms=False)
    enrol(child, current, g2)
    cancelled = Enrolment.objects.get(child=child)
    Booking.objects.create(child=child, unit=unit, date=DAY, enrolment=cancelled, state=Booking.State.CANCELLED)
    families["site_b"], child = _family("MOREAU")
    enrol(child, other, g_b)
    families["old"], child = _family("LEROY")
    enrol(child, old, g_old)
    families["pending"], child = _family("GARNIER")
    Enrolment.objects.create(child=child, activity=current, group=g1, status="pending",
                             requested_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.timezone.utc))
    families["shared_phone"], child = _family("FAURE", mobiles=("06 99 88 77 66", "+33 6 99 88 77 66"))
    enrol(child, current, g1)
    families["landline"], child = _family("BLANC", mobiles=("04 75 00 00 00",))
    enrol(child, current, g1)
    return {"site_a": site_a, "site_b": site_b, "current": current, "g1": g1, "g2": g2, "unit": unit,
            "families": families}


def _names(**kwargs):
    return {f.name for f in selectors.mass_message_families(today=TODAY, **kwargs)}


def test_recipients_per_target(town):
    assert _names(target="structure", structure=town["site_a"]) == {"DURAND", "PETIT", "ROUX", "FAURE", "BLANC"}
    assert _names(target="structure", structure=town["site_b"]) == {"MOREAU"}
    assert _names(target="activity", activity=town["current"]) == {"DURAND", "PETIT", "ROUX", "FAURE", "BLANC"}
    assert _names(target="group", group=town["g1"]) == {"DURAND", "FAURE", "BLANC"}
    assert _names(target="group", group=town["g2"]) == {"PETIT", "ROUX"}
    # The day's list: booked that day on the unit (a cancelled booking is not on it).
    assert _names(target="day", unit=town["unit"], day=DAY) == {"DURAND"}
    assert _names(target="day", unit=town["unit"], day=TODAY) == set()


def test_inactive_children_are_left_out(town):
    petit = town["families"]["no_email"]
    petit.children.update(is_active=False)
    assert "PETIT" not in _names(target="activity", activity=town["current"])


def test_opt_outs_and_phone_numbers(town):
    recipients = mass_services.mass_message_preview(target="activity", activity=town["current"], today=TODAY)
    emails = {g.email for _, g in recipients["emails"]}
    assert emails == {"durand1@example.org", "durand2@example.org", "roux1@example.org", "faure1@example.org",
                      "faure2@example.org", "blanc1@example.org"}  # PETIT refuses e-mails
    sms = sorted((f.name, number) for f, _, number in recipients["sms"])
    # ROUX refuses SMS; FAURE's two guardians share one number (one SMS); BLANC has a landline only.
    assert sms == [("DURAND", "+33612345678"), ("DURAND", "+33781234567"), ("FAURE", "+33699887766"),
                   ("PETIT", "+33612345678")]
    assert recipients["email_opt_out"] == 1 and recipients["sms_opt_out"] == 1


def test_a_mass_message_reaches_messagerie_outbox_and_sms(town, staff_user, django_capture_on_commit_callbacks):
    service = Service.objects.get_or_create(name="Accueil de loisirs")[0]
    with django_capture_on_commit_callbacks(execute=True):
        mass = mass_services.mass_message_create(
            staff_user=staff_user, service=service, target="group", group=town["g1"], subject="Sortie au zoo",
            body="La sortie au zoo a lieu mercredi.\nPrévoir un pique-nique.", send_email=True, send_sms=True,
            sms_text="Sortie zoo mercredi : prévoir un pique-nique.",
        )
    mass.refresh_from_db()
    assert mass.status == MassMessage.Status.SENT
    assert (mass.families_count, mass.emails_count, mass.sms_count) == (3, 5, 3)
    threads = Thread.objects.filter(mass_message=mass).select_related("family")
    assert {t.family.name for t in threads} == {"DURAND", "FAURE", "BLANC"}
    assert all(t.started_by_staff and t.status == Thread.Status.ANSWERED for t in threads)
    assert Message.objects.filter(thread__mass_message=mass, from_staff=True,
                                  body__startswith="La sortie au zoo").count() == 3
    assert {t.family.name: t.family.unread_messages for t in threads} == {"DURAND": 1, "FAURE": 1, "BLANC": 1}
    outbox = OutboundEmail.objects.filter(template="message_to_family")
    assert {e.to for e in outbox} == {"durand1@example.org", "durand2@example.org", "faure1@example.org",
                                      "faure2@example.org", "blanc1@example.org"}
    assert all("Sortie au zoo" in e.subject for e in outbox)
    sms = SmsMessage.objects.filter(mass_message=mass)
    assert sorted(s.to for s in sms) == ["+33612345678", "+33699887766", "+33781234567"]
    assert all(s.status == SmsMessage.Status.SENT and s.provider == "fake" and s.provider_id for s in sms)
    assert all(s.encoding == "GSM-7" and s.segments == 1 for s in sms)  # « é » is in the GSM alphabet
    audit = AuditLog.objects.get(action="mass_message")
    assert audit.actor == staff_user and "Sortie au zoo" in audit.summary
    # « Mes données »: the family finds the SMS it was sent.

    durand = town["families"]["both"]
    exported = {name: data for name, _label, data in export_sections(durand)}
    assert sorted(item["numero"] for item in exported["sms"]) == ["+33612345678", "+33781234567"]
    assert exported["messagerie"][0]["objet"] == "Sortie au zoo"


def test_delivery_runs_once(town, staff_user, django_capture_on_commit_callbacks):
    service = Service.objects.get_or_create(name="Accueil de loisirs")[0]
    with django_capture_on_commit_callbacks(execute=True):
        mass = mass_services.mass_message_create(staff_user=staff_user, service=service, target="group",
                                                 group=town["g2"], subject="Info", body="Texte")
    assert mass_services.mass_message_deliver(mass_message_id=mass.pk) is None
    assert Thread.objects.filter(mass_message=mass).count() == 2
    assert OutboundEmail.objects.count() == 1  # ROUX only: PETIT refuses e-mails
    assert SmsMessage.objects.count() == 0  # no SMS asked
    first = SmsMessage.objects.create(to="+33612345678", body="x", encoding="GSM-7", segments=1)
    assert mass_services.sms_send(sms_ids=[first.pk]) == (1, [])
    assert mass_services.sms_send(sms_ids=[first.pk]) == (0, [])  # already sent: never twice


def test_sms_without_a_provider_fail_visibly(settings, db):
    settings.SMS_PROVIDER = ""
    sms = SmsMessage.objects.create(to="+33612345678", body="x", encoding="GSM-7", segments=1)
    assert mass_services.sms_send(sms_ids=[sms.pk]) == (0, [])
    sms.refresh_from_db()
    assert sms.status == SmsMessage.Status.FAILED and "fournisseur" in sms.last_error


class _Flaky:
    name = "ovh"

    def __init__(self, errors):
        self.errors = list(errors)

    def send(self, *, to, text):
        if self.errors:
            raise self.errors.pop(0)
        return "job-1"


def test_an_unreachable_provider_is_tried_again_a_refusal_is_final(db):
    sms = SmsMessage.objects.create(to="+33612345678", body="x", encoding="GSM-7", segments=1)
    provider = _Flaky([SmsSendError("injoignable")])
    assert mass_services.sms_send(sms_ids=[sms.pk], provider=provider) == (0, [sms.pk])
    sms.refresh_from_db()
    assert sms.status == SmsMessage.Status.QUEUED and sms.last_error == "injoignable"
    assert mass_services.sms_send(sms_ids=[sms.pk], provider=provider) == (1, [])
    sms.refresh_from_db()
    assert (sms.status, sms.provider_id, sms.attempts, sms.last_error) == ("sent", "job-1", 2, "")

    refused = SmsMessage.objects.create(to="+33612345678", body="x", encoding="GSM-7", segments=1)
    assert mass_services.sms_send(sms_ids=[refused.pk], provider=_Flaky([SmsSendError("non", permanent=True)])) \
        == (0, [])
    refused.refresh_from_db()
    assert refused.status == SmsMessage.Status.FAILED

    down = SmsMessage.objects.create(to="+33612345678", body="x", encoding="GSM-7", segments=1)
    for _ in range(mass_services.SMS_MAX_ATTEMPTS):
        mass_services.sms_send(sms_ids=[down.pk], provider=_Flaky([SmsSendError("injoignable")]))
    down.refresh_from_db()
    assert down.status == SmsMessage.Status.FAILED and down.attempts == mass_services.SMS_MAX_ATTEMPTS


def test_incomplete_targets_are_refused_in_french(town, staff_user):
    service = Service.objects.get_or_create(name="Accueil de loisirs")[0]
    with pytest.raises(MessagingError, match="Choisissez le groupe"):
        mass_services.mass_message_create(staff_user=staff_user, service=service, target="group", subject="a", body="b")
    with pytest.raises(MessagingError, match="texte du SMS"):
        mass_services.mass_message_create(staff_user=staff_user, service=service, target="activity",
                                          activity=town["current"], subject="a", body="b", send_sms=True)
    assert not MassMessage.objects.exists()


# --- Staff pages ---------------------------------------------------------------------------------------------

def _post(town, **extra):
    service = Service.objects.get_or_create(name="Accueil de loisirs")[0]
    return {"target": "activity", "activity": town["current"].pk, "service": service.pk, "subject": "Fermeture",
            "body": "L'accueil ferme à 17 h vendredi.", "send_email": "on", "send_sms": "on",
            "sms_text": "L'accueil ferme a 17h vendredi.", **extra}


def test_preview_then_send_from_the_staff_page(client, staff_user, town, django_capture_on_commit_callbacks,
                                               django_assert_max_num_queries):
    client.force_login(staff_user)
    url = reverse("messaging_staff:mass_compose")
    assert client.get(url).status_code == 200
    with django_assert_max_num_queries(20):
        body = client.post(url, _post(town, action="preview")).content.decode()
    assert "<strong>5</strong> famille(s)" in body and "<strong>6</strong> e-mail(s)" in body
    assert "<strong>4</strong> SMS" in body and "Envoyer à 5 famille(s)" in body
    assert not MassMessage.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _post(town, action="send"))
    assert response.status_code == 302 and response.url == reverse("messaging_staff:mass_list")
    mass = MassMessage.objects.get()
    assert (mass.families_count, mass.emails_count, mass.sms_count) == (5, 6, 4)
    listing = client.get(reverse("messaging_staff:mass_list")).content.decode()
    assert "Fermeture" in listing and "Activité Mercredis A" in listing
    sms_page = client.get(reverse("messaging_staff:sms_list")).content.decode()
    assert "+33781234567" in sms_page and "Démonstration (non envoyé)" in sms_page


def test_the_form_says_what_is_missing(client, staff_user, town):
    client.force_login(staff_user)
    body = client.post(reverse("messaging_staff:mass_compose"),
                       _post(town, target="day", activity="", sms_text="", action="preview")).content.decode()
    assert "Choisissez l&#x27;unité." in body and "Choisissez le jour." in body and "Écrivez le texte du SMS." in body


def test_preview_query_count_does_not_grow_with_families(client, staff_user, town):
    client.force_login(staff_user)
    url = reverse("messaging_staff:mass_compose")
    client.get(url)

    def preview():
        with CaptureQueriesContext(connection) as queries:
            body = client.post(url, _post(town, action="preview")).content.decode()
        return len(queries), body

    preview()  # the second request of a kind is measured: the first fills the per-process caches
    few, body = preview()
    assert "<strong>5</strong> famille(s)" in body
    for i in range(40):
        family, child = _family(f"NOM{i}")
        enrol(child, town["current"], town["g1"])
    preview()
    many, body = preview()
    assert "<strong>45</strong> famille(s)" in body
    assert many == few <= 20


def test_parents_cannot_reach_the_mass_pages(parent_client):
    for name in ("mass_list", "mass_compose", "sms_list"):
        response = parent_client.get(reverse(f"messaging_staff:{name}"))
        assert response.status_code == 302 and response.url.startswith("/admin/login/")
