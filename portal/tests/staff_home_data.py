"""A town where a known amount of each kind of work waits for staff (shared by the staff home tests)."""
import datetime

from documents.models import DocumentType, FamilyDocument
from enrolment.models import Booking, Enrolment, Occupancy
from enrolment.tests.factories import ActivityFactory, GroupFactory, StructureFactory, UnitFactory
from families.models import ChangeRequest
from families.tests.factories import ChildFactory, FamilyFactory, StaffFactory
from messaging.models import Service, SmsMessage, Thread
from portal.models import OutboundEmail

TODAY = datetime.date(2026, 3, 11)
NOW = datetime.datetime(2026, 3, 11, 9, 30, tzinfo=datetime.timezone.utc)

# What the staff home must show for the town below.
EXPECTED_WAITING = {
    "Demandes de modification du dossier": 1,
    "Demandes d'inscription": 2,
    "Demandes de réservation": 3,
    "Documents à examiner": 1,
    "Certificats médicaux et justificatifs d'absence": 2,
    "Messages sans personne pour les suivre": 1,
    "Messages sans réponse depuis plus de 2 jours": 2,
    "E-mails en échec": 3,
    "SMS en échec": 1,
}
# Site A: 3 children expected today, 1 absence declared, 10 places of which 4 held: 6 left.
EXPECTED_TODAY = {"Accueil A": (3, 6, 1), "Accueil B": (1, None, 0)}


def waiting_town(extra=0):
    """Build the town; ``extra`` adds that many more rows of each kind that does not wait (and of some that
    do, on other days), to show the staff home's query count does not grow."""
    site_a, site_b = StructureFactory(name="Accueil A"), StructureFactory(name="Accueil B")
    activity_a = ActivityFactory(activity_type__structure=site_a, name="Mercredis A", season_end=datetime.date(2026, 7, 3))
    activity_b = ActivityFactory(activity_type__structure=site_b, name="Mercredis B", season_end=datetime.date(2026, 7, 3))
    group_a, group_b = GroupFactory(activity=activity_a), GroupFactory(activity=activity_b)
    unit_a = UnitFactory(activity=activity_a, name="Journée", code="JA", capacity=10)
    unit_b = UnitFactory(activity=activity_b, name="Journée", code="JB", capacity=None)
    requested_at = NOW - datetime.timedelta(days=30)

    def child_enrolled(activity, group, status="validated"):
        child = ChildFactory(family=FamilyFactory())
        return child, Enrolment.objects.create(child=child, activity=activity, group=group, status=status,
                                               requested_at=requested_at)

    def book(activity, group, unit, day, **fields):
        child, enrolment = child_enrolled(activity, group)
        return Booking.objects.create(child=child, unit=unit, date=day, enrolment=enrolment, **fields)

    # Today: three children expected on site A (one of them already present), one declared absent.
    book(activity_a, group_a, unit_a, TODAY)
    book(activity_a, group_a, unit_a, TODAY)
    book(activity_a, group_a, unit_a, TODAY, state=Booking.State.PRESENT)
    book(activity_a, group_a, unit_a, TODAY, state=Booking.State.EXCUSED, absence_declared_at=NOW)
    Occupancy.objects.create(unit=unit_a, date=TODAY, booked=4, capacity=10)
    book(activity_b, group_b, unit_b, TODAY)
    # Waiting work.
    for _ in range(2):
        child_enrolled(activity_a, group_a, status="pending")
    later = TODAY + datetime.timedelta(days=7)
    for _ in range(3):
        book(activity_a, group_a, unit_a, later, state=Booking.State.REQUESTED)
    for _ in range(2):
        book(activity_a, group_a, unit_a, TODAY - datetime.timedelta(days=7), state=Booking.State.ABSENT_BILLED,
             excuse=Booking.Excuse.REQUESTED, absence_reason="Malade")
    family = FamilyFactory()
    ChangeRequest.objects.create(family=family, kind=ChangeRequest.Kind.FAMILY, changes={})
    doc_type = DocumentType.objects.get_or_create(name="Justificatif de domicile")[0]
    FamilyDocument.objects.create(family=family, document_type=doc_type, file="x.pdf", original_name="x.pdf",
                                  content_type="application/pdf", size=10)
    service = Service.objects.get_or_create(name="Accueil de loisirs")[0]
    staff = StaffFactory()
    three_days_ago, yesterday = NOW - datetime.timedelta(days=3), NOW - datetime.timedelta(days=1)

    def thread(**fields):
        return Thread.objects.create(family=FamilyFactory(), service=service, theme="information", subject="Question",
                                     **fields)

    thread(last_family_message_at=three_days_ago)                             # unassigned and unanswered
    thread(assigned_to=staff, status="in_progress", last_family_message_at=three_days_ago)  # unanswered
    thread(assigned_to=staff, last_family_message_at=yesterday)               # recent: nothing waits yet
    thread(staff_deleted_at=NOW, last_family_message_at=three_days_ago)       # archived
    thread(assigned_to=staff, status="answered", last_family_message_at=three_days_ago,
           last_staff_message_at=three_days_ago + datetime.timedelta(hours=1))  # answered
    for status in ("failed", "failed", "failed", "sent"):
        OutboundEmail.objects.create(to="a@example.org", subject="s", body_text="t", template="x", status=status)
    SmsMessage.objects.create(to="+33612345678", body="x", encoding="GSM-7", segments=1, status="failed")
    SmsMessage.objects.create(to="+33612345678", body="x", encoding="GSM-7", segments=1, status="sent")

    for i in range(extra):  # more of what does not wait, and more sites and days
        site = StructureFactory(name=f"Accueil Z{i}")
        activity = ActivityFactory(activity_type__structure=site, season_end=datetime.date(2026, 7, 3))
        group, unit = GroupFactory(activity=activity), UnitFactory(activity=activity, code=f"Z{i}", capacity=5)
        book(activity, group, unit, TODAY + datetime.timedelta(days=1))
        ChangeRequest.objects.create(family=FamilyFactory(), kind="family", changes={}, status="accepted")
        OutboundEmail.objects.create(to="b@example.org", subject="s", body_text="t", template="x", status="sent")
        thread(assigned_to=staff, status="answered")
    return {"staff": staff}
