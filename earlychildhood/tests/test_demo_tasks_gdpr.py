"""Demo data, the periodic jobs (run twice: idempotent) and the « Mes données » sections."""
import datetime
import io
import random

import pytest
from django.utils import timezone
from pypdf import PdfReader

from billing.pdf import invoice_pdf
from documents import demo as documents_demo
from earlychildhood import demo, tasks
from earlychildhood.models import (
    ChildcareContract, CommissionSession, Decision, Deduction, MonthlyStatement, Nursery, PreEnrolment,
)
from earlychildhood.services import commission
from families import demo as families_demo
from families.models import Guardian
from families.selectors import family_requests
from portal.gdpr import export_sections
from portal.models import OutboundEmail

from .factories import nursery_make, pre_make, session_make, tables_seed

pytestmark = pytest.mark.django_db


def test_demo_has_three_creches_twenty_requests_and_a_held_commission():
    tables_seed()
    rng = random.Random(20250901)
    out = io.StringIO()
    families_demo.populate(stdout=out, rng=rng)
    documents_demo.populate(stdout=out, rng=rng)
    demo.populate(stdout=out, rng=rng)
    assert Nursery.objects.count() == 3
    assert PreEnrolment.objects.count() == 20
    assert PreEnrolment.objects.filter(child__isnull=True).exists()
    session = CommissionSession.objects.get()
    assert session.status == "held"
    kinds = set(Decision.objects.filter(session=session).values_list("kind", flat=True))
    assert kinds == {"offer", "keep", "refuse"}
    assert ChildcareContract.objects.count() == 1
    assert "Petite enfance : 3 crèches, 20 préinscriptions" in out.getvalue()
    # The demo parent (the first demo family, whose login the demo prints) sees its request in « Mes demandes ».
    demo_family = Guardian.objects.filter(family__is_demo=True, user__isnull=False).order_by(
        "family__number", "rank").first().family
    assert [item.kind_label for item in family_requests(family=demo_family, kind="earlychildhood")["children"]] == [
        "Place en crèche"]


def test_jobs_are_idempotent(parent, other_family):
    user, family = parent
    nursery, section = nursery_make()
    pre = pre_make(family, nursery)
    later = (timezone.now() + datetime.timedelta(days=92)).isoformat()
    tasks.confirmation_reminders(now=later)
    tasks.confirmation_reminders(now=later)
    assert OutboundEmail.objects.filter(template="earlychildhood_confirm").count() == 1
    pre2 = pre_make(other_family[1], nursery)
    session, spot = session_make(section)

    commission.decision_record(session=session, pre=pre2, kind=Decision.Kind.OFFER, places=spot)
    commission.session_hold(session=session)
    expiry = (timezone.now() + datetime.timedelta(days=30)).isoformat()
    tasks.offers_expire(now=expiry)
    tasks.offers_expire(now=expiry)
    assert OutboundEmail.objects.filter(template="earlychildhood_lapsed").count() == 1
    pre.refresh_from_db()
    assert pre.status == "pending"


def test_gdpr_sections(parent):
    user, family = parent
    nursery, _ = nursery_make()
    pre_make(family, nursery, criteria=["working"])
    sections = {name: data for name, _label, data in export_sections(family)}
    [request] = sections["creche_demandes"]
    assert request["situation"] == ["Parents qui travaillent ou suivent une formation"]
    assert request["historique"][0]["evenement"] == "Demande déposée"
    assert sections["creche_contrats"] == []


def test_monthly_invoicing_job_and_invoice_pdf(parent):
    user, family = parent
    nursery, section = nursery_make()
    pre = pre_make(family, nursery)
    session, spot = session_make(section, start=datetime.date(2026, 3, 1))
    decision = commission.decision_record(session=session, pre=pre, kind=Decision.Kind.OFFER, places=spot)
    commission.session_hold(session=session)
    contract = commission.offer_answer(decision=decision, accept=True)
    Deduction.objects.create(contract=contract, kind="closure", start=datetime.date(2026, 3, 4),
                             end=datetime.date(2026, 3, 4))
    now = "2026-04-01T05:30:00+02:00"
    tasks.invoices_monthly(now=now)
    tasks.invoices_monthly(now=now)  # « Ignorée »: once a month, and a month is never invoiced twice anyway
    statement = MonthlyStatement.objects.get()
    assert statement.month == datetime.date(2026, 3, 1) and statement.deducted_hours == 4
    text = " ".join(PdfReader(io.BytesIO(invoice_pdf(statement.invoice))).pages[0].extract_text().split())
    assert statement.invoice.number in text and "Mensualisation du contrat" in text
    assert "Déduction : Fermeture de la crèche" in text
