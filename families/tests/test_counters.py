"""The families' counter rows (families/counters.py): every write path keeps each stored value equal to its
rule (``counters.mismatches()`` is empty, and the values are the expected ones), the nightly audit reports and
corrects a difference, and the home page reads the rows without counting."""
import datetime
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing.services.external import invoice_issue_lines
from billing.services.invoicing import credit_note_issue, invoice_issue_period
from billing.services.payments import payment_record
from billing.tests.factories import March, invoice_make, regie_make
from enrolment import selectors as enrolment_selectors
from enrolment import services as enrolment_services
from enrolment.models import Booking, Enrolment
from enrolment.tests.factories import enrol, wednesdays_activity
from families import counters, services, tasks
from families.models import ChangeRequest, Family
from families.tests.factories import ChildFactory, GuardianFactory
from messaging import services as messaging
from messaging.models import Service
from portal.celery import app
from portal.models import JobRun, Organisation

pytestmark = pytest.mark.django_db

Kind = ChangeRequest.Kind
P = datetime.timezone(datetime.timedelta(hours=1))
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)  # within the 2025/2026 season of the enrolment factories


def assert_rows(family, **expected):
    """No family's row differs from its rule, and this family's rows hold ``expected``."""
    assert counters.mismatches() == []
    family.refresh_from_db(fields=list(expected))
    assert {name: getattr(family, name) for name in expected} == expected


def address_request(family, user, city="Annonay"):
    return services.change_request_create(family=family, user=user, kind=Kind.FAMILY,
                                          data={"address_line1": "3 place de la Liberté", "postcode": "07100",
                                                "city": city})


def phone_request(user, phone="07 11 22 33 44"):
    guardian = user.guardian
    return services.change_request_create(family=guardian.family, user=user, kind=Kind.GUARDIAN, target=guardian,
                                          data={"mobile_phone": phone})


def test_the_rows_and_their_rules_are_registered():
    assert counters.fields() == ["pending_change_requests", "pending_enrolments", "unread_messages", "balance"]


# --------------------------------------------------------------------------- change requests


def test_change_requests_created_accepted_refused_and_applied_directly(parent, other_family, staff_user):
    user, family = parent
    first = address_request(family, user)
    assert_rows(family, pending_change_requests=1)
    second = phone_request(user)
    assert_rows(family, pending_change_requests=2)
    services.change_request_accept(request=first, by=staff_user)
    assert_rows(family, pending_change_requests=1)
    services.change_request_refuse(request=second, by=staff_user, reason="Numéro incomplet")
    assert_rows(family, pending_change_requests=0)
    phone_request(user, phone="07 99 88 77 66")
    assert_rows(family, pending_change_requests=1)
    org = Organisation.current()
    org.policy_family = Organisation.ChangePolicy.DIRECT
    org.save()
    direct = address_request(family, user, city="Davézieux")
    assert direct.status == ChangeRequest.Status.ACCEPTED
    # Applied at once: the family's row is saved by the change itself and still holds the pending one.
    assert_rows(family, pending_change_requests=1, city="Davézieux")
    assert_rows(other_family[1], pending_change_requests=0)


# --------------------------------------------------------------------------- enrolments


def test_enrolment_requests_pending_auto_validated_validated_and_refused(parent, other_family, staff_user):
    user, family = parent
    child, sibling = family.children.get(), ChildFactory(family=family)
    waiting, waiting_group, _ = wednesdays_activity(auto_validate=False)
    other, other_group, _ = wednesdays_activity(auto_validate=False)
    auto, auto_group, _ = wednesdays_activity(auto_validate=True)
    first = enrolment_services.enrolment_request(child=child, activity=waiting, group=waiting_group, by=user, now=NOW)
    assert first.status == Enrolment.Status.PENDING
    assert_rows(family, pending_enrolments=1)
    validated = enrolment_services.enrolment_request(child=child, activity=auto, group=auto_group, by=user, now=NOW)
    assert validated.status == Enrolment.Status.VALIDATED
    assert_rows(family, pending_enrolments=1)
    second = enrolment_services.enrolment_request(child=sibling, activity=waiting, group=waiting_group, by=user,
                                                  now=NOW)
    enrolment_services.enrolment_request(child=child, activity=other, group=other_group, by=user, now=NOW)
    assert_rows(family, pending_enrolments=3)
    enrolment_services.enrolment_decide(enrolment=first, accept=True, by=staff_user, now=NOW)
    assert_rows(family, pending_enrolments=2)
    enrolment_services.enrolment_decide(enrolment=second, accept=False, by=staff_user, reason="Groupe complet",
                                        now=NOW)
    assert_rows(family, pending_enrolments=1)
    assert_rows(other_family[1], pending_enrolments=0)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


def admin_save(client, enrolment, **changes):
    """POST the admin's change form of ``enrolment`` as it stands, with ``changes``."""
    url = reverse("admin:enrolment_enrolment_change", args=[enrolment.pk])
    form = client.get(url).context["adminform"].form
    data = {field.html_name: "" if field.value() is None else field.value() for field in form}
    response = client.post(url, {**data, **changes, "_save": "Enregistrer"})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    return response


def test_admin_change_form_keeps_both_families(staff_client, parent, other_family):
    family, other = parent[1], other_family[1]
    activity, group, _ = wednesdays_activity(auto_validate=False)
    enrolment = enrol(family.children.get(), activity, group)  # validated
    assert_rows(family, pending_enrolments=0)
    admin_save(staff_client, enrolment, status=Enrolment.Status.PENDING)
    assert_rows(family, pending_enrolments=1)
    # Moved to a child of another family: the former family's row loses it, the new one's gains it.
    admin_save(staff_client, enrolment, child=other.children.get().pk)
    assert_rows(family, pending_enrolments=0)
    assert_rows(other, pending_enrolments=1)
    admin_save(staff_client, enrolment, status=Enrolment.Status.VALIDATED)
    assert_rows(other, pending_enrolments=0)
    assert Enrolment.objects.get(pk=enrolment.pk).status == Enrolment.Status.VALIDATED


def test_admin_delete_single_and_bulk(staff_client, parent, other_family):
    (user, family), (other_user, other) = parent, other_family
    pending = []
    for _ in range(2):
        activity, group, _ = wednesdays_activity(auto_validate=False)
        pending.append(enrolment_services.enrolment_request(child=family.children.get(), activity=activity,
                                                            group=group, by=user, now=NOW))
    pending.append(enrolment_services.enrolment_request(child=other.children.get(), activity=activity, group=group,
                                                        by=other_user, now=NOW))
    assert_rows(family, pending_enrolments=2)
    assert_rows(other, pending_enrolments=1)
    response = staff_client.post(reverse("admin:enrolment_enrolment_delete", args=[pending[0].pk]), {"post": "yes"})
    assert response.status_code == 302 and not Enrolment.objects.filter(pk=pending[0].pk).exists()
    assert_rows(family, pending_enrolments=1)
    response = staff_client.post(reverse("admin:enrolment_enrolment_changelist"), {
        "action": "delete_selected", "_selected_action": [e.pk for e in pending[1:]], "post": "yes"})
    assert response.status_code == 302 and not Enrolment.objects.exists()
    assert_rows(family, pending_enrolments=0)
    assert_rows(other, pending_enrolments=0)


# --------------------------------------------------------------------------- billing


def test_invoice_run_credit_note_payments_and_external_invoice_keep_the_balance(parent, other_family, staff_user):
    family = parent[1]
    march = March(family)
    [invoice] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end,
                                     issued_on=datetime.date(2026, 4, 2))
    assert invoice.total == D("45.20")
    assert_rows(family, balance=D("45.20"))
    credit_note_issue(invoice=invoice, amount="5.20", reason="Erreur de tarif", by=staff_user)
    assert_rows(family, balance=D("40.00"))
    payment_record(family=family, regie=march.regie, mode="cheque", amount="10.00",
                   received_on=datetime.date(2026, 4, 10), invoices=[invoice], by=staff_user)
    assert_rows(family, balance=D("30.00"))
    payment_record(family=family, regie=march.regie, mode="cash", amount="50.00",
                   received_on=datetime.date(2026, 4, 12), by=staff_user)  # no invoice: a credit
    assert_rows(family, balance=D("-20.00"))
    line = {"child": march.child, "child_name": march.child.first_name, "activity_name": "Crèche Les Petits Pas",
            "date": datetime.date(2026, 4, 1), "quantity": 1}
    with transaction.atomic():
        external = invoice_issue_lines(regie=march.regie, family=family, period_start=datetime.date(2026, 4, 1),
                                       period_end=datetime.date(2026, 4, 30), lines=[
                                           {**line, "unit_name": "Mensualisation", "unit_price": D("120.00"),
                                            "amount": D("120.00")},
                                           {**line, "unit_name": "Déduction", "unit_price": D("-20.00"),
                                            "amount": D("-20.00")}])
    assert external.total == D("100.00")
    assert_rows(family, balance=D("80.00"))
    assert_rows(other_family[1], balance=D("0.00"))


# --------------------------------------------------------------------------- messaging


def test_a_message_from_the_service_keeps_the_unread_row(parent, other_family, staff_user):
    family = parent[1]
    service, _ = Service.objects.get_or_create(name="Scolarité")
    messaging.thread_start_by_staff(family=family, staff_user=staff_user, service=service, theme="information",
                                    subject="Sortie", body="Prévoir un goûter.")
    assert_rows(family, unread_messages=1)
    assert_rows(other_family[1], unread_messages=0)


# --------------------------------------------------------------------------- audit and nightly job


def test_audit_reports_a_difference_in_french_and_corrects_it(parent, other_family):
    family, other = parent[1], other_family[1]
    notes = []
    assert counters.audit(report=notes.append) == 0 and notes == []
    Family.objects.filter(pk=family.pk).update(pending_enrolments=7)
    assert counters.mismatches() == [(family.pk, "pending_enrolments", 7, 0)]
    assert counters.audit(report=notes.append) == 1
    assert notes == [
        f"Famille {family.pk}, demandes d'inscription en attente : 7 enregistré, 0 selon la règle (corrigé).",
    ]
    assert_rows(family, pending_enrolments=0)
    notes.clear()
    assert counters.audit(report=notes.append) == 0 and notes == []
    # Beyond the limit, the rest is summed up in one line, and corrected too.
    Family.objects.filter(pk__in=[family.pk, other.pk]).update(pending_change_requests=2)
    assert counters.audit(report=notes.append, limit=1) == 2
    assert notes == [
        f"Famille {family.pk}, demandes de modification en attente : 2 enregistré, 0 selon la règle (corrigé).",
        "… et 1 autre(s) écart(s) (corrigés).",
    ]
    assert_rows(other, pending_change_requests=0)


def test_nightly_job_notes_and_corrects_a_difference(parent, other_family):
    family = parent[1]
    Family.objects.filter(pk=family.pk).update(pending_enrolments=7)
    result = tasks.counter_rows_audit(now=NOW)
    assert result["status"] == "success"
    assert result["counts"] == {"familles vérifiées": 2, "écarts corrigés": 1}
    run = JobRun.objects.get(pk=result["job_run"])
    assert run.label == "Contrôle des compteurs des familles (messages non lus, demandes en attente, solde)"
    assert (f"Famille {family.pk}, demandes d'inscription en attente : 7 enregistré, 0 selon la règle (corrigé)."
            in run.summary.splitlines())
    assert_rows(family, pending_enrolments=0)
    again = tasks.counter_rows_audit(now=NOW)
    assert again["counts"] == {"familles vérifiées": 2, "écarts corrigés": 0}


def test_the_nightly_job_is_scheduled():
    entry = app.conf.beat_schedule["families-counter-rows-audit"]
    assert entry["task"] == "families.tasks.counter_rows_audit" == tasks.counter_rows_audit.name


# --------------------------------------------------------------------------- home page


def _home(client):
    client.get("/")  # first visit: the consent check is remembered in the session
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/").content.decode()
    return page, [q["sql"] for q in queries.captured_queries]


def test_home_page_reads_the_rows_without_counting(parent_client, parent, staff_user):
    user, family = parent
    march = March(family)
    invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end,
                         issued_on=datetime.date(2026, 4, 2))
    address_request(family, user)
    activity, group, _ = wednesdays_activity(auto_validate=False)
    enrolment_services.enrolment_request(child=march.child, activity=activity, group=group, by=user, now=NOW)
    service, _ = Service.objects.get_or_create(name="Scolarité")
    messaging.thread_start_by_staff(family=family, staff_user=staff_user, service=service, theme="information",
                                    subject="Sortie", body="Prévoir un goûter.")
    assert_rows(family, balance=D("45.20"), pending_change_requests=1, pending_enrolments=1, unread_messages=1)
    page, sql = _home(parent_client)
    assert "votre compte présente un solde de <strong>45,20 €</strong>" in page
    assert "1 demande de modification en attente de réponse du service." in page
    assert "1 inscription en attente de réponse du service." in page
    assert "Vous avez 1 message non lu" in page
    assert not [q for q in sql if "COUNT(*)" in q]
    assert not [q for q in sql if "billing_payment" in q or "billing_creditnote" in q]
    # What the page shows is the rows themselves.
    Family.objects.filter(pk=family.pk).update(balance=D("99.99"), pending_enrolments=3)
    page, _ = _home(parent_client)
    assert "un solde de <strong>99,99 €</strong>" in page and "3 inscriptions en attente de réponse" in page


def test_home_page_under_the_payer_rule_shows_the_payers_own_balance(client, parent, staff_user):
    user, family = parent
    first = user.guardian
    second = GuardianFactory(family=family, rank=2, first_name="Marc")
    regie, _ = regie_make()
    a = invoice_make(regie=regie, family=family, number=1, total="100.00", payer=first)
    b = invoice_make(regie=regie, family=family, number=2, total="40.00", payer=second)
    credit_note_issue(invoice=a, amount="10.00", reason="Erreur", by=staff_user)
    payment_record(family=family, regie=regie, mode="cheque", amount="40.00", received_on=datetime.date(2026, 4, 5),
                   invoices=[b], payer=second, by=staff_user)
    payment_record(family=family, regie=regie, mode="cash", amount="5.00", received_on=datetime.date(2026, 4, 6),
                   payer=second, by=staff_user)
    assert_rows(family, balance=D("85.00"))  # the whole account: 100 + 40 − 10 − 40 − 5
    org = Organisation.current()
    org.invoice_visibility = Organisation.InvoiceVisibility.PAYER
    org.save()
    client.force_login(first.user)
    page, sql = _home(client)  # an unpaid invoice: the balance rides on its row
    assert "un solde de <strong>90,00 €</strong>" in page and a.number in page and b.number not in page
    assert [q for q in sql if "billing_payment" in q]
    client.force_login(second.user)
    page, sql = _home(client)  # nothing unpaid: the balance alone
    assert "un solde de <strong>-5,00 €</strong>" in page and "Aucune facture impayée." in page
    assert [q for q in sql if "billing_payment" in q]


# --------------------------------------------------------------------------- enrolment home block


def test_home_summary_counts_the_booking_requests_from_today_on(parent):
    family = parent[1]
    child = family.children.get()
    gone = ChildFactory(family=family, is_active=False)
    activity, group, (unit,) = wednesdays_activity()
    today = NOW.date()
    enrolments = {c: enrol(c, activity, group) for c in (child, gone)}

    def book(day, state, who=child):
        Booking.objects.create(child=who, unit=unit, enrolment=enrolments[who], date=day, state=state)

    def week(n):
        return today + datetime.timedelta(days=2 + 7 * n)

    book(today - datetime.timedelta(days=5), "requested")  # past
    book(today, "requested")
    for n in range(6):
        book(week(n), "reserved")
    book(week(6), "requested")  # beyond the five days listed: counted all the same
    book(week(7), "requested")
    book(week(8), "cancelled")
    book(week(9), "refused")
    book(week(10), "requested", who=gone)  # a child who left
    summary = enrolment_selectors.home_summary(family=family, now=NOW)
    assert len(summary["upcoming"]) == 5
    assert summary["pending_bookings"] == 3
    Booking.objects.filter(state="requested").update(state="cancelled")
    assert enrolment_selectors.home_summary(family=family, now=NOW)["pending_bookings"] == 0
    Booking.objects.all().delete()
    assert enrolment_selectors.home_summary(family=family, now=NOW) == {"upcoming": [], "pending_bookings": 0}


# --------------------------------------------------------------------------- demo data


def test_the_demo_data_leaves_every_row_equal_to_its_rule(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo_data", verbosity=0)
    assert counters.mismatches() == []
    filled = {name: Family.objects.exclude(**{name: 0}).count() for name in counters.fields()}
    assert all(filled.values()), filled  # every kind of row has families to compare


# --------------------------------------------------------------------------- the family row itself


def test_the_model_lists_the_rows_the_registry_keeps():
    assert sorted(Family.COUNTER_ROWS) == sorted(counters.fields())


def test_saving_a_family_read_before_a_recount_keeps_the_new_count(parent):
    user, family = parent
    stale = Family.objects.get(pk=family.pk)  # read by a form, the admin… before the request below commits
    address_request(family, user)
    assert_rows(family, pending_change_requests=1)
    stale.name = "MARTIN-DURAND"
    stale.save()
    assert_rows(family, pending_change_requests=1)
    assert Family.objects.get(pk=family.pk).name == "MARTIN-DURAND"


def test_a_child_deleted_or_moved_in_the_admin_takes_its_requests_along(staff_client, parent, other_family):
    (user, family), (_, other) = parent, other_family
    child = family.children.get()
    activity, group, _ = wednesdays_activity(auto_validate=False)
    enrolment_services.enrolment_request(child=child, activity=activity, group=group, by=user, now=NOW)
    assert_rows(family, pending_enrolments=1)
    # Moved to the other family on the child's admin page.
    url = reverse("admin:families_child_change", args=[child.pk])
    page = staff_client.get(url)
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {field.html_name: "" if field.value() is None else field.value()
            for form in forms for field in form if not (field.name == "DELETE" or field.value() is False)}
    response = staff_client.post(url, {**data, "family": other.pk, "_save": "Enregistrer"})
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    assert_rows(family, pending_enrolments=0)
    assert_rows(other, pending_enrolments=1)
    # Deleted from the child's admin page.
    response = staff_client.post(reverse("admin:families_child_delete", args=[child.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert_rows(other, pending_enrolments=0)


def test_audit_shows_a_balance_in_french(parent):
    family = parent[1]
    Family.objects.filter(pk=family.pk).update(balance=D("12.50"))
    notes = []
    assert counters.audit(report=notes.append) == 1
    assert notes == [f"Famille {family.pk}, solde du compte : 12,50 € enregistré, 0,00 € selon la règle (corrigé)."]
    assert counters.mismatches() == []
