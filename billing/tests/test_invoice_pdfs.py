"""Invoice PDFs stored at issue and served from storage while up to date (billing.services.invoice_pdfs)."""
import datetime
import os
import secrets
import subprocess
import sys
import threading
from decimal import Decimal as D
from io import BytesIO, StringIO

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from pypdf import PdfReader

from billing import pdf
from billing.models import Invoice, InvoicePdf
from billing.services import invoice_pdfs, invoicing
from billing.services.invoice_pdfs import invoice_pdf_fingerprint, invoice_pdf_render, invoice_pdfs_render
from billing.services.invoicing import credit_note_issue, invoice_issue_period
from billing.services.payments import payment_record
from billing.tasks import invoice_pdfs_orphans_sweep
from billing.tasks import invoice_pdfs_render as render_task
from billing.tasks import invoice_pdfs_render as task
from portal.models import JobRun, Organisation
from portal.tests.concurrency import run_in_threads

from .factories import March, book, enrol, invoice_make

pytestmark = pytest.mark.django_db


def pdf_text(content):
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(content)).pages)


def stored_files(settings):
    root = settings.MEDIA_ROOT / "factures"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def renders(monkeypatch):
    """Counts the calls to the WeasyPrint renderer (still rendering)."""
    calls = []
    real = pdf.invoice_pdf

    def spy(invoice, organisation=None):
        calls.append(invoice.pk)
        return real(invoice, organisation=organisation)

    monkeypatch.setattr(pdf, "invoice_pdf", spy)
    return calls


class FakeTask:
    """Stands for the broker behind the Celery task: records the chunks queued (or fails like a broker that
    is down). Installed with ``monkeypatch.setattr(render_task, "apply_async", task.apply_async)``: the
    services queue the task by name (portal.queue), which ends in the registered task's ``apply_async``."""

    def __init__(self, error=None):
        self.queued, self.error = [], error

    def apply_async(self, args=None, kwargs=None, **options):
        if self.error:
            raise self.error
        [ids] = args
        self.queued.append(ids)


@pytest.fixture
def background(settings):
    """Rendering after commit on, as with a real broker (tests run Celery eagerly)."""
    settings.BILLING_INVOICE_PDF_RENDER_AFTER_COMMIT = True


def _loaded(invoice):
    return Invoice.objects.select_related("regie", "pdf").get(pk=invoice.pk)


# --- Issue ----------------------------------------------------------------------------------------


def test_issue_renders_and_stores_the_pdfs_after_commit(march, background, renders, settings,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        [invoice] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end,
                                         issued_on=datetime.date(2026, 4, 2))
    assert renders == [] and not InvoicePdf.objects.exists()  # nothing rendered before commit
    for callback in callbacks:
        callback()
    assert renders == [invoice.pk]
    stored = InvoicePdf.objects.get(invoice=invoice)
    assert stored.fingerprint == invoice_pdf_fingerprint(_loaded(invoice), Organisation.current())
    assert stored.file.name.startswith("factures/2026/") and stored.size > 1000
    [path] = stored_files(settings)
    content = path.read_bytes()
    assert content.startswith(b"%PDF-") and len(content) == stored.size
    assert f"Facture n° {invoice.number}" in pdf_text(content) and "45,20 €" in pdf_text(content)


def test_issue_queues_one_task_per_chunk_after_the_emails(march, other_family, background, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    task = FakeTask()
    monkeypatch.setattr(render_task, "apply_async", task.apply_async)
    monkeypatch.setattr(invoice_pdfs, "TASK_CHUNK", 1)
    child = other_family[1].children.first()
    book(child, march.meal_unit, enrol(child, march.activity, march.group), datetime.date(2026, 3, 4))
    with django_capture_on_commit_callbacks(execute=True):
        invoices = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end)
    assert sorted(task.queued) == [[invoice.pk] for invoice in sorted(invoices, key=lambda i: i.pk)]


def test_a_failing_chunk_still_queues_the_pdfs_of_the_chunks_before_it(march, other_family, background, monkeypatch,
                                                                        django_capture_on_commit_callbacks):
    task = FakeTask()
    monkeypatch.setattr(render_task, "apply_async", task.apply_async)
    child = other_family[1].children.first()
    book(child, march.meal_unit, enrol(child, march.activity, march.group), datetime.date(2026, 3, 4))
    real, calls = invoicing._invoice_issue_families, []

    def second_fails(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database gone")
        return real(**kwargs)

    monkeypatch.setattr(invoicing, "_invoice_issue_families", second_fails)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True):
        invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end, chunk=1)
    [first] = Invoice.objects.all()
    assert task.queued == [[first.pk]]


def test_a_broker_failure_is_logged_not_raised(march, background, monkeypatch, caplog, django_capture_on_commit_callbacks):
    monkeypatch.setattr(render_task, "apply_async", FakeTask(ConnectionError("broker down")).apply_async)
    with django_capture_on_commit_callbacks(execute=True):
        [invoice] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end)
    assert Invoice.objects.filter(pk=invoice.pk).exists() and not InvoicePdf.objects.exists()
    assert "Could not queue the rendering" in caplog.text


def test_without_a_broker_issuing_renders_nothing(march, renders, django_capture_on_commit_callbacks):
    """Eager Celery (SQLite demo, development): the PDFs are rendered on their first download instead."""
    with django_capture_on_commit_callbacks(execute=True):
        invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end)
    assert renders == [] and not InvoicePdf.objects.exists()


def test_the_task_is_idempotent(issued, renders):
    assert task(invoice_ids=[issued.pk, 999999]) == {"rendered": 1, "fresh": 0, "failed": 0, "missing": 1}
    assert task(invoice_ids=[issued.pk]) == {"rendered": 0, "fresh": 1, "failed": 0, "missing": 0}
    assert renders == [issued.pk]


# --- Download -------------------------------------------------------------------------------------


def test_download_serves_the_stored_pdf_without_rendering(parent_client, issued, renders, monkeypatch,
                                                          django_assert_max_num_queries, settings):
    invoice_pdfs_render(ids=[issued.pk])
    [path] = stored_files(settings)
    renders.clear()

    def no_weasyprint(*args, **kwargs):
        raise AssertionError("WeasyPrint must not run for a stored PDF")

    monkeypatch.setattr("billing.pdf._render", no_weasyprint)
    url = reverse("billing:invoice_pdf", args=[issued.pk])
    parent_client.get(url)  # warm-up
    # the session (database sessions), the user with guardian and family, the invoice with its régie and
    # stored copy
    with django_assert_max_num_queries(3):
        response = parent_client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == path.read_bytes()
    assert renders == []


def test_staff_download_is_served_from_storage_too(client, staff_user, issued, renders, django_assert_max_num_queries):
    invoice_pdfs_render(ids=[issued.pk])
    renders.clear()
    client.force_login(staff_user)
    url = reverse("billing_staff:invoice_pdf", args=[issued.pk])
    client.get(url)
    with django_assert_max_num_queries(3):
        response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF-") and renders == []


def test_first_download_renders_stores_then_serves(parent_client, issued, renders, settings):
    url = reverse("billing:invoice_pdf", args=[issued.pk])
    first = parent_client.get(url)
    assert first.status_code == 200 and renders == [issued.pk]
    assert InvoicePdf.objects.filter(invoice=issued).exists()
    second = parent_client.get(url)
    assert renders == [issued.pk] and second.content == first.content == stored_files(settings)[0].read_bytes()


def test_a_payment_makes_the_stored_copy_stale(parent_client, issued, renders, settings,
                                               django_capture_on_commit_callbacks):
    invoice_pdfs_render(ids=[issued.pk])
    [old_path] = stored_files(settings)
    payment_record(family=issued.family, regie=issued.regie, mode="cheque", amount="20.00",
                   received_on=datetime.date(2026, 4, 10), invoices=[issued])
    url = reverse("billing:invoice_pdf", args=[issued.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.get(url)
    assert renders == [issued.pk, issued.pk]
    text = pdf_text(response.content)
    assert "20,00 €" in text and "25,20 €" in text  # « Déjà réglé », « Reste à payer »
    [new_path] = stored_files(settings)  # the replaced file deleted after commit
    assert new_path != old_path and new_path.read_bytes() == response.content
    parent_client.get(url)
    assert renders == [issued.pk, issued.pk]  # up to date again


def test_a_credit_note_is_rendered_again_after_commit(issued, background, renders, settings,
                                                      django_capture_on_commit_callbacks):
    invoice_pdfs_render(ids=[issued.pk])
    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note_issue(invoice=issued, amount="5.20", reason="Erreur de pointage")
    assert renders == [issued.pk, issued.pk]
    stored = InvoicePdf.objects.get(invoice=issued)
    assert stored.fingerprint == invoice_pdf_fingerprint(_loaded(issued), Organisation.current())
    [path] = stored_files(settings)
    text = pdf_text(path.read_bytes())
    assert f"Avoir {note.number}" in text and "40,00 €" in text


def test_a_payment_queues_the_rendering_of_its_invoices(issued, background, monkeypatch,
                                                        django_capture_on_commit_callbacks):
    task = FakeTask()
    monkeypatch.setattr(render_task, "apply_async", task.apply_async)
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(family=issued.family, regie=issued.regie, mode="cash", amount="45.20",
                       received_on=datetime.date(2026, 4, 10), invoices=[issued])
    assert task.queued == [[issued.pk]]


def test_what_makes_the_stored_copy_stale(issued):
    org = Organisation.current()
    invoice = _loaded(issued)
    before = invoice_pdf_fingerprint(invoice, org)
    assert invoice_pdf_fingerprint(_loaded(issued), Organisation.current()) == before  # stable
    invoice.paid_amount = D("1.00")
    assert invoice_pdf_fingerprint(invoice, org) != before
    invoice = _loaded(issued)
    invoice.regie.cash_desk = "Mairie annexe"
    assert invoice_pdf_fingerprint(invoice, org) != before
    invoice = _loaded(issued)
    org.address = "1 rue Neuve"
    assert invoice_pdf_fingerprint(invoice, org) != before


def test_a_missing_file_is_rendered_again(parent_client, issued, renders, settings):
    """A reader that finds the file gone (replaced by a concurrent render, or removed) renders."""
    invoice_pdfs_render(ids=[issued.pk])
    stored_files(settings)[0].unlink()
    response = parent_client.get(reverse("billing:invoice_pdf", args=[issued.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert renders == [issued.pk, issued.pk] and len(stored_files(settings)) == 1


def test_another_familys_invoice_is_404_and_renders_nothing(client, other_family, issued, renders):
    invoice_pdfs_render(ids=[issued.pk])
    renders.clear()
    client.force_login(other_family[0])
    assert client.get(reverse("billing:invoice_pdf", args=[issued.pk])).status_code == 404
    assert client.get(reverse("billing:invoice_pdf", args=[999999])).status_code == 404
    assert renders == []


def test_a_store_failure_still_serves_the_pdf(parent_client, issued, monkeypatch, caplog):
    def full(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(invoice_pdfs, "_store", full)
    response = parent_client.get(reverse("billing:invoice_pdf", args=[issued.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF-")
    assert not InvoicePdf.objects.exists() and "Could not store the PDF" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_concurrent_renders_of_the_same_invoice_leave_one_whole_file(parent, settings, monkeypatch):
    """Four renders finishing at the same moment, first with no stored copy (one creates the row, the
    others replace it), then of a stale one: one row, one file, whole, and the replaced ones deleted."""
    march = March(parent[1])
    [invoice] = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end)
    barrier, outputs = threading.Barrier(4), []

    def render(invoice, organisation=None):
        content = b"%PDF-" + secrets.token_hex(20000).encode()  # 40 kB, different in each thread
        outputs.append(content)
        barrier.wait(timeout=30)  # every thread stores at once
        return content

    monkeypatch.setattr("billing.pdf.invoice_pdf", render)
    for paid in (None, "10.00"):
        if paid:
            payment_record(family=invoice.family, regie=invoice.regie, mode="cheque", amount=paid,
                           received_on=datetime.date(2026, 4, 10), invoices=[invoice])  # stored copy now stale
        outputs.clear()
        assert run_in_threads(lambda: invoice_pdf_render(_loaded(invoice)), count=4) == []
        stored = InvoicePdf.objects.get(invoice=invoice)
        [path] = stored_files(settings)  # every replaced copy deleted
        assert path.name == stored.file.name.rsplit("/", 1)[1]
        assert path.read_bytes() in outputs and path.stat().st_size == stored.size
        assert stored.fingerprint == invoice_pdf_fingerprint(_loaded(invoice), Organisation.current())


# --- Command --------------------------------------------------------------------------------------


def _command(*args):
    out = StringIO()
    call_command("render_invoice_pdfs", *args, stdout=out)
    return out.getvalue()


def test_command_renders_the_missing_and_stale_pdfs_only(issued, march, renders):
    older = invoice_make(regie=march.regie, family=march.family, number=90, total="10.00",
                         issued_on=datetime.date(2026, 2, 28))
    other = invoice_make(regie=march.regie, family=march.family, number=91, total="12.00",
                         issued_on=datetime.date(2026, 1, 31))
    out = _command("--latest-per-family", "2")
    assert "2 facture(s) choisie(s), 2 PDF à rendre" in out and "PDF rendus : 2" in out
    assert sorted(renders) == sorted([issued.pk, older.pk])
    out = _command()
    assert "3 facture(s) choisie(s), 1 PDF à rendre" in out and renders[-1] == other.pk
    payment_record(family=issued.family, regie=issued.regie, mode="cash", amount="1.00",
                   received_on=datetime.date(2026, 4, 10), invoices=[issued])
    renders.clear()
    out = _command("--family-ids", str(march.family.pk), "--limit", "5")
    assert "1 PDF à rendre" in out and renders == [issued.pk]
    renders.clear()
    out = _command("--ids", f"{issued.pk},{other.pk}", "--force")
    assert "PDF rendus : 2" in out and sorted(renders) == sorted([issued.pk, other.pk])
    with pytest.raises(CommandError):
        _command("--ids", "x")


@pytest.mark.django_db(transaction=True)
def test_command_with_a_pool_of_processes(parent, other_family, settings):
    """Run as ops run it, in a process of its own: its pool forks that process. (Forking the test worker
    itself could copy the locks of its other threads — the browser tests' — and hang.)"""
    march = March(parent[1])
    child = other_family[1].children.first()
    book(child, march.meal_unit, enrol(child, march.activity, march.group), datetime.date(2026, 3, 4))
    invoices = invoice_issue_period(regie=march.regie, period_start=march.start, period_end=march.end)
    db = connection.settings_dict
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test", "TEST_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
    }

    def command(*args):
        return subprocess.run(
            [sys.executable, "manage.py", "render_invoice_pdfs", *args], cwd=django_settings.BASE_DIR, env=env,
            capture_output=True, text=True, timeout=300, check=True,
        ).stdout

    out = command("--processes", "2", "--chunk", "1")
    assert "PDF rendus : 2" in out and "2 processus" in out
    assert InvoicePdf.objects.count() == 2 and len(stored_files(settings)) == 2
    assert "PDF rendus : 0, déjà à jour : 0" in command("--processes", "2")
    assert {p.invoice_id for p in InvoicePdf.objects.all()} == {i.pk for i in invoices}


def test_payments_recorded_in_one_batch_queue_their_pdfs_together_in_chunks(
        issued, background, monkeypatch, django_capture_on_commit_callbacks):
    """A direct-debit batch records one payment per invoice: their PDFs go in chunks, not one task each."""
    task = FakeTask()
    monkeypatch.setattr(render_task, "apply_async", task.apply_async)
    monkeypatch.setattr(invoice_pdfs, "TASK_CHUNK", 2)
    more = [invoice_make(regie=issued.regie, family=issued.family, number=900 + n, total="10.00") for n in range(2)]
    invoices = sorted([issued, *more], key=lambda i: i.pk)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with invoice_pdfs.invoice_pdfs_batched():
            for invoice in invoices:
                with invoice_pdfs.invoice_pdfs_batched():  # nested: the outer block queues
                    payment_record(family=issued.family, regie=issued.regie, mode="direct_debit", amount="10.00",
                                   received_on=datetime.date(2026, 4, 10), invoices=[invoice])
            assert task.queued == []  # not before the block ends, nor before commit
    assert task.queued == [[invoices[0].pk, invoices[1].pk], [invoices[2].pk]]


def test_a_batch_that_fails_queues_nothing_and_the_next_one_queues_again(
        issued, background, monkeypatch, django_capture_on_commit_callbacks):
    task = FakeTask()
    monkeypatch.setattr(render_task, "apply_async", task.apply_async)
    with pytest.raises(RuntimeError), django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        with invoice_pdfs.invoice_pdfs_batched():
            payment_record(family=issued.family, regie=issued.regie, mode="cheque", amount="5.00",
                           received_on=datetime.date(2026, 4, 10), invoices=[issued])
            raise RuntimeError("bank file unreadable")
    assert task.queued == []
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(family=issued.family, regie=issued.regie, mode="cheque", amount="5.00",
                       received_on=datetime.date(2026, 4, 10), invoices=[issued])
    assert task.queued == [[issued.pk]]  # no gathering left behind


# --- Orphan files ----------------------------------------------------------------------------------


def _age(settings, name, hours):
    """Set a stored file's modification time ``hours`` back."""
    path = settings.MEDIA_ROOT / name
    past = path.stat().st_mtime - hours * 3600
    os.utime(path, (past, past))


def test_the_sweep_deletes_only_old_files_no_row_names(issued, settings):
    invoice_pdfs_render(ids=[issued.pk])
    [kept] = stored_files(settings)
    orphan = default_storage.save("factures/2026/999-rolledback.pdf", ContentFile(b"%PDF-1.7 orphan"))
    in_flight = default_storage.save("factures/2025/998-rendering.pdf", ContentFile(b"%PDF-1.7 in flight"))
    for name in (str(kept.relative_to(settings.MEDIA_ROOT)), orphan):
        _age(settings, name, hours=2)

    assert invoice_pdfs.invoice_pdfs_orphans_delete() == 1
    assert stored_files(settings) == sorted([kept, settings.MEDIA_ROOT / in_flight])
    assert invoice_pdfs.invoice_pdfs_orphans_delete() == 0  # idempotent
    # the invoice's own copy is still served
    assert invoice_pdfs.invoice_pdf_stored(_loaded(issued), organisation=Organisation.current()).startswith(b"%PDF-")


def test_the_sweep_task_logs_what_it_deleted(settings):
    assert invoice_pdfs_orphans_sweep()["counts"] == {}  # no folder yet: nothing to do
    name = default_storage.save("factures/2026/1-left.pdf", ContentFile(b"%PDF-1.7"))
    _age(settings, name, hours=3)
    result = invoice_pdfs_orphans_sweep()
    assert result["counts"] == {"fichiers PDF orphelins supprimés": 1}
    assert JobRun.objects.filter(name="billing.tasks.invoice_pdfs_orphans_sweep").count() == 2
    assert not default_storage.exists(name)
