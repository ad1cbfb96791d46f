"""Requests take no place; publication books through the capacity service, fills the waiting list in rank
order, e-mails every family and is idempotent; a dry run changes nothing and gives the same result."""
import datetime

import pytest
from django.core.exceptions import ValidationError

from documents.models import DocumentType, FamilyDocument
from enrolment import rules, selectors
from enrolment.basket import Basket, basket_apply_pattern
from enrolment.models import Booking, BookingWindow, Occupancy, WaitingListEntry
from enrolment.services import BOOK, CANCEL, Change, booking_commit
from enrolment.services.reminders import upcoming_deadlines
from enrolment.tests.factories import enrol
from families.tests.factories import parent_with_family
from opening import allocation, services
from opening.models import AllocationRun, FamilyOutcome, PlaceRequest
from portal.errors import BookingError, DomainError
from portal.gdpr import export_sections
from portal.models import AuditLog, OutboundEmail

from .factories import AFTER, CLOSES, DAYS, DURING, OPENS, PERIOD_END, PERIOD_START, RESULTS, request_window

pytestmark = pytest.mark.django_db


class Session(dict):
    modified = False


def family_asking(activity, group, unit, days, *, children=1, now=DURING):
    user, family = parent_with_family(children=children)
    kids = list(family.children.order_by("id"))
    for child in kids:
        enrol(child, activity, group)
    if days:
        booking_commit(family=family, changes=[Change(d, c.id, unit.id, BOOK) for c in kids for d in days],
                       by=user, now=now)
    return user, family, kids


class TestRequests:
    def test_a_request_takes_no_place_and_locks_no_counter(self):
        activity, group, (unit,), window, phase = request_window(capacity=1)
        user, family, (child,) = family_asking(activity, group, unit, [])
        result = booking_commit(family=family, changes=[Change(d, child.id, unit.id, BOOK) for d in DAYS[:3]],
                                by=user, now=DURING)
        assert result["asked"] == 3 and result["booked"] == []
        assert PlaceRequest.objects.filter(child=child, phase=phase).count() == 3
        assert not Booking.objects.exists() and not Occupancy.objects.exists()
        # Another family asks for the same day of a one-place unit: a request, not « complet ».
        family_asking(activity, group, unit, DAYS[:1])
        assert PlaceRequest.objects.filter(date=DAYS[0]).count() == 2

    def test_changed_or_withdrawn_until_the_phase_closes(self):
        activity, group, (unit,), window, phase = request_window()
        user, family, (child,) = family_asking(activity, group, unit, DAYS[:2])
        result = booking_commit(family=family, changes=[Change(DAYS[0], child.id, unit.id, CANCEL),
                                                        Change(DAYS[4], child.id, unit.id, BOOK)], by=user, now=DURING)
        assert (result["asked"], result["withdrawn"]) == (1, 1)
        assert set(PlaceRequest.objects.values_list("date", flat=True)) == {DAYS[1], DAYS[4]}
        with pytest.raises(BookingError) as exc:
            booking_commit(family=family, changes=[Change(DAYS[1], child.id, unit.id, CANCEL)], by=user, now=AFTER)
        assert "Phase de demandes close : attribution des places le 16/01 à 18 h" in str(exc.value.details)
        with pytest.raises(BookingError):
            booking_commit(family=family, changes=[Change(DAYS[2], child.id, unit.id, BOOK)], by=user,
                           now=OPENS - datetime.timedelta(minutes=1))

    def test_the_calendar_says_request_recorded_and_the_results_date(self):
        activity, group, (unit,), window, phase = request_window()
        user, family, (child,) = family_asking(activity, group, unit, DAYS[:1])
        enrolment = child.enrolments.get()
        days = selectors.calendar_days(enrolment=enrolment, start=DAYS[0], end=DAYS[1], now=DURING)
        asked, free = days[0].cells[0], days[1].cells[0]
        assert asked.state == "asked" and asked.checked and not asked.booked
        assert asked.text == "Journée : Demande enregistrée — attribution le 16/01 à 18 h"
        assert free.state == "" and days[1].editable

    def test_a_pattern_adds_only_days_not_yet_asked(self):
        activity, group, (unit,), window, phase = request_window()
        user, family, (child,) = family_asking(activity, group, unit, DAYS[:1])
        basket = Basket(Session())
        added, skipped = basket_apply_pattern(basket, enrolments=[child.enrolments.get()], start=DAYS[0],
                                              end=DAYS[4], pattern={0: {unit.id}, 1: {unit.id}}, action=BOOK,
                                              now=DURING)
        assert (added, skipped) == (1, 0)  # Monday already asked, Tuesday added


def _publish_setup(capacity=2, families=4, **settings):
    activity, group, (unit,), window, phase = request_window(capacity=capacity, **settings)
    fams = [family_asking(activity, group, unit, DAYS[:2]) for _ in range(families)]
    return activity, group, unit, window, phase, fams


class TestPublish:
    def test_books_through_the_counters_and_waiting_list_in_rank_order(self, django_capture_on_commit_callbacks):
        activity, group, unit, window, phase, fams = _publish_setup(capacity=2, families=4)
        staff = fams[0][0]
        with django_capture_on_commit_callbacks(execute=False):
            run = services.allocation_publish(phase=phase, by=staff, now=AFTER)
        assert run.kind == AllocationRun.Kind.PUBLISHED
        for day in DAYS[:2]:
            assert Booking.objects.filter(unit=unit, date=day, state="reserved").count() == 2
            assert Occupancy.objects.get(unit=unit, date=day, group__isnull=True).booked == 2
            ranks = dict(FamilyOutcome.objects.values_list("family__children__id", "rank"))
            waiting = list(WaitingListEntry.objects.filter(unit=unit, date=day, status="waiting")
                           .order_by("created_at", "id").values_list("child_id", flat=True))
            assert len(waiting) == 2 and [ranks[c] for c in waiting] == sorted(ranks[c] for c in waiting)
            booked = Booking.objects.filter(unit=unit, date=day).values_list("child_id", flat=True)
            assert max(ranks[c] for c in booked) < min(ranks[c] for c in waiting)
        assert FamilyOutcome.objects.count() == 4
        assert set(PlaceRequest.objects.values_list("outcome", flat=True)) == {"granted", "waiting"}
        assert OutboundEmail.objects.filter(template="opening_result").count() == 4
        window.refresh_from_db()
        assert window.opening_mode == BookingWindow.OpeningMode.FIRST_COME
        log = AuditLog.objects.get(action="opening.publish")
        assert log.actor == staff and log.new_values["digest"] == run.digest and log.new_values["granted"] == 4

    def test_idempotent(self):
        activity, group, unit, window, phase, fams = _publish_setup()
        first = services.allocation_publish(phase=phase, now=AFTER)
        again = services.allocation_publish(phase=phase, now=AFTER + datetime.timedelta(hours=1))
        assert again.pk == first.pk
        assert Booking.objects.count() == 4 and WaitingListEntry.objects.count() == 4
        assert OutboundEmail.objects.filter(template="opening_result").count() == 4

    def test_dry_run_changes_nothing_and_gives_the_published_result(self):
        activity, group, unit, window, phase, fams = _publish_setup()
        dry = services.allocation_dry_run(phase=phase, now=AFTER)
        dry_again = services.allocation_dry_run(phase=phase, now=AFTER)
        assert dry.digest == dry_again.digest
        assert not Booking.objects.exists() and not WaitingListEntry.objects.exists()
        assert dry.summary["granted"] == 4 and dry.summary["refused"] == 4
        assert [(r["demand"], r["places"], r["granted"]) for r in dry.figures] == [(4, 2, 2), (4, 2, 2)]
        published = services.allocation_publish(phase=phase, now=AFTER)
        assert published.digest == dry.digest

    def test_not_before_the_phase_closes(self):
        activity, group, unit, window, phase, fams = _publish_setup()
        with pytest.raises(DomainError):
            services.allocation_publish(phase=phase, now=DURING)
        assert not Booking.objects.exists()

    def test_first_come_for_the_places_left_after_publication(self):
        activity, group, unit, window, phase, fams = _publish_setup(capacity=3, families=2)
        services.allocation_publish(phase=phase, now=AFTER)
        user, family, (child,) = family_asking(activity, group, unit, [], now=AFTER)
        result = booking_commit(family=family, changes=[Change(DAYS[0], child.id, unit.id, BOOK)], by=user,
                                now=AFTER + datetime.timedelta(hours=1))
        assert len(result["booked"]) == 1
        assert Occupancy.objects.get(unit=unit, date=DAYS[0], group__isnull=True).booked == 3
        with pytest.raises(BookingError):  # full now
            other_user, other, (kid,) = family_asking(activity, group, unit, [], now=AFTER)
            booking_commit(family=other, changes=[Change(DAYS[0], kid.id, unit.id, BOOK)], by=other_user,
                           now=AFTER + datetime.timedelta(hours=1))

    def test_a_day_already_booked_is_not_counted_twice(self):
        activity, group, unit, window, phase, fams = _publish_setup(capacity=2, families=1)
        child = fams[0][2][0]
        Booking.objects.create(child=child, unit=unit, date=DAYS[0], enrolment=child.enrolments.get(),
                               state="reserved")
        Occupancy.objects.create(unit=unit, date=DAYS[0], booked=1, capacity=2)
        services.allocation_publish(phase=phase, now=AFTER)
        assert Booking.objects.filter(child=child).count() == 2
        assert Occupancy.objects.get(unit=unit, date=DAYS[0], group__isnull=True).booked == 1
        assert PlaceRequest.objects.get(date=DAYS[0]).outcome == "already"


class TestCriteria:
    def test_resident_proof_and_attending_read_from_the_families(self):
        proof = DocumentType.objects.create(name="Attestation employeur")
        activity, group, unit, window, phase, fams = _publish_setup(capacity=1, families=3)
        (u1, f1, _), (u2, f2, _), (u3, f3, kids3) = fams
        phase.member_communes = "Annonay\n07340"  # the factory's postcode: every family but f1 after the change
        phase.criteria = "proof,resident,attending"
        phase.save()
        phase.proof_types.add(proof)
        f1.postcode, f1.city = "69000", "Lyon"
        f1.save()
        FamilyDocument.objects.create(family=f2, document_type=proof, original_name="a.pdf", content_type="application/pdf",
                                      size=1, status=FamilyDocument.Status.ACCEPTED, file="x.pdf")
        inputs = services.allocation_inputs(phase)
        met = {f.id: f.met for f in inputs.families}
        assert met[f1.pk] == frozenset() and met[f2.pk] == {"proof", "resident"} and met[f3.pk] == {"resident"}
        services.allocation_publish(phase=phase, now=AFTER)
        outcomes = {o.family_id: o for o in FamilyOutcome.objects.all()}
        assert [outcomes[f.pk].rank for f in (f2, f3, f1)] == [1, 2, 3]
        assert outcomes[f2.pk].criteria == ["proof", "resident"] and outcomes[f2.pk].granted == 2

    def test_criteria_setting_is_validated(self):
        activity, group, (unit,), window, phase = request_window()
        phase.criteria = "resident,lottery"
        with pytest.raises(ValidationError):
            phase.full_clean()
        assert services.criteria_labels(["resident"]) == [allocation.CRITERIA["resident"]]


class TestRules:
    """The request phase's deadline decisions (pure, enrolment.rules), across the phase's edges."""

    def test_before_during_and_after_the_phase(self):
        window = rules.Window(PERIOD_START, PERIOD_END, None, PERIOD_END, mode=rules.REQUESTS, requests_open_at=OPENS,
                              requests_close_at=CLOSES, results_at=RESULTS)
        policy = rules.Policy(rule=rules.WINDOW, windows=(window,))
        before = rules.can_change(PERIOD_START, policy, OPENS - datetime.timedelta(seconds=1))
        assert not before.ok and "Phase de demandes à partir du 05/01/2026 à 8 h 00" in before.reason
        during = rules.can_change(PERIOD_START, policy, OPENS)
        assert during.ok and during.request and during.reason == "Demande enregistrée — attribution le 16/01 à 18 h"
        after = rules.can_change(PERIOD_START, policy, CLOSES)
        assert not after.ok and not after.request
        first_come = rules.Policy(rule=rules.WINDOW, windows=(rules.Window(PERIOD_START, PERIOD_END, None, PERIOD_END),))
        assert not rules.can_change(PERIOD_START, first_come, DURING).request


def test_my_data_lists_requests_and_outcomes():
    activity, group, unit, window, phase, fams = _publish_setup(capacity=1, families=2)
    services.allocation_publish(phase=phase, now=AFTER)
    family = fams[0][1]
    sections = {name: data for name, label, data in export_sections(family)}
    assert len(sections["demandes_de_places"]) == 2 and len(sections["attributions"]) == 1


def test_no_booking_reminder_for_a_window_still_in_its_request_phase():
    activity, group, (unit,), window, phase = request_window()
    today = window.closes_on - datetime.timedelta(days=1)
    assert upcoming_deadlines(today=today) == []
    window.opening_mode = BookingWindow.OpeningMode.FIRST_COME
    window.save()
    assert [w[0] for w in upcoming_deadlines(today=today)] == [activity]
