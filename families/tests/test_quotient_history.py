"""The quotient history: which value is in force on a day, and how validating or refusing a value moves it."""
import datetime
from decimal import Decimal as D

import pytest

from families.gdpr import family_file_export
from families.models import Family, QuotientRecord
from families.quotient import QuotientPeriod, current_span, quotient_in_force
from families.services_quotient import quotient_record_create, quotient_record_refuse, quotient_record_validate
from portal.errors import FamilyError
from portal.models import AuditLog

d = datetime.date
Source, Status = QuotientRecord.Source, QuotientRecord.Status


def test_latest_starting_period_wins_and_spans_stop_where_another_takes_over():
    periods = [QuotientPeriod(d(2026, 1, 1), None, D("400"), 1), QuotientPeriod(d(2026, 3, 16), d(2026, 3, 31), D("1200"), 2)]
    assert quotient_in_force(periods, d(2025, 12, 31)) is None
    assert quotient_in_force(periods, d(2026, 3, 15)) == D("400")
    assert quotient_in_force(periods, d(2026, 3, 16)) == D("1200")
    assert quotient_in_force(periods, d(2026, 4, 1)) == D("400")  # the open earlier value resumes
    assert current_span(periods, d(2026, 2, 1)) == (D("400"), d(2026, 1, 1), d(2026, 3, 15))
    assert current_span(periods, d(2026, 4, 2)) == (D("400"), d(2026, 4, 1), None)
    assert current_span(periods, d(2025, 1, 1)) == (None, None, None)
    same_day = [QuotientPeriod(d(2026, 1, 1), None, D("400"), 1), QuotientPeriod(d(2026, 1, 1), None, D("500"), 2)]
    assert quotient_in_force(same_day, d(2026, 1, 2)) == D("500")


@pytest.mark.django_db
def test_validating_closes_the_previous_value_and_derives_the_family_fields(parent, staff_user):
    user, family = parent  # factory: 850 from 2025-01-01 to 2026-12-31, no history yet
    pending = quotient_record_create(family=family, value=D("742"), source=Source.CAF, valid_from=d(2026, 3, 16),
                                     benefit_month=d(2026, 2, 1), allocataire="Claire MARTIN", by=user)
    family.refresh_from_db()
    assert pending.status == Status.PENDING and family.quotient == D("850")  # nothing applies before staff
    quotient_record_validate(record=pending, by=staff_user, now=datetime.datetime(2026, 3, 16, 10, tzinfo=datetime.UTC))
    history = list(QuotientRecord.objects.filter(family=family).order_by("valid_from"))
    seed, fetched = history
    assert (seed.source, seed.value, seed.valid_from, seed.valid_to, seed.status) == (
        Source.STAFF, D("850"), d(2025, 1, 1), d(2026, 3, 15), Status.VALIDATED)  # the older value kept, closed
    assert (fetched.status, fetched.validated_by, fetched.valid_to) == (Status.VALIDATED, staff_user, None)
    family.refresh_from_db()
    assert (family.quotient, family.quotient_valid_from, family.quotient_valid_until) == (D("742"), d(2026, 3, 16), None)
    assert family.quotient_on(d(2026, 3, 15)) == D("850") and family.quotient_on(d(2026, 3, 16)) == D("742")
    entry = AuditLog.objects.get(family=family, action="quotient.validated")
    assert entry.actor == staff_user and entry.old_values == {"quotient": "850.00"}
    with pytest.raises(FamilyError, match="déjà été traité"):
        quotient_record_validate(record=fetched, by=staff_user)


@pytest.mark.django_db
def test_refusing_needs_a_reason_and_changes_nothing(parent, staff_user):
    user, family = parent
    pending = quotient_record_create(family=family, value=D("300"), source=Source.PROOF, valid_from=d(2026, 3, 1), by=user)
    with pytest.raises(FamilyError, match="motif"):
        quotient_record_refuse(record=pending, by=staff_user, reason=" ")
    quotient_record_refuse(record=pending, by=staff_user, reason="Attestation illisible")
    pending.refresh_from_db()
    family.refresh_from_db()
    assert (pending.status, pending.refusal_reason, family.quotient) == (Status.REFUSED, "Attestation illisible", D("850"))
    assert AuditLog.objects.filter(family=family, action="quotient.refused", actor=staff_user).exists()


@pytest.mark.django_db
def test_a_value_entered_the_same_day_replaces_the_other(parent, staff_user):
    _, family = parent
    first = quotient_record_create(family=family, value=D("600"), source=Source.STAFF, valid_from=d(2026, 5, 1),
                                   by=staff_user, validate=True)
    quotient_record_create(family=family, value=D("650"), source=Source.STAFF, valid_from=d(2026, 5, 1),
                           by=staff_user, validate=True)
    first.refresh_from_db()
    family.refresh_from_db()
    assert first.status == Status.REPLACED and family.quotient_on(d(2026, 5, 2)) == D("650")


@pytest.mark.django_db
def test_past_days_read_the_history_once_per_family(parent, staff_user, django_assert_num_queries):
    _, family = parent
    quotient_record_create(family=family, value=D("400"), source=Source.STAFF, valid_from=d(2026, 1, 1),
                           by=staff_user, validate=True)
    family = Family.objects.get(pk=family.pk)
    with django_assert_num_queries(0):  # inside the current span: the family's own fields
        assert family.quotient_on(d(2026, 2, 1)) == D("400")
    with django_assert_num_queries(1):  # before it: the history, once
        assert family.quotient_on(d(2025, 6, 1)) == D("850")
        assert family.quotient_on(d(2025, 7, 1)) == D("850")


@pytest.mark.django_db
def test_my_data_lists_the_quotient_history(parent):
    user, family = parent
    quotient_record_create(family=family, value=D("742"), source=Source.CAF, valid_from=d(2026, 11, 2),
                           benefit_month=d(2026, 10, 1), allocataire="Claire MARTIN", by=user)
    [entry] = family_file_export(family)["historique_quotient"]
    assert (entry["quotient"], entry["origine"], entry["allocataire"], entry["etat"]) == (
        D("742"), "CAF (API Particulier)", "Claire MARTIN", "En attente de validation")
