"""Invoice PDFs rendered once and stored, served again while nothing they show has changed.

An issued invoice is a snapshot: its number, dates, payer, family and lines never change. Rendering
it (WeasyPrint, ≈ 85–220 ms of CPU) on every download cost as much as ten HTML pages, so the PDF is
rendered after issue by a Celery task (``invoice_pdfs_render_on_commit``), stored privately
(``InvoicePdf``: a file under MEDIA_ROOT, streamed only by the scoped download view) and served from
there while its fingerprint matches. A payment or a credit note changes what the PDF shows: the
stored copy is then stale, rendered again after that commit (in the background) or on the next
download, whichever comes first. ``manage.py render_invoice_pdfs`` renders missing and stale PDFs
(backfill, after a change of layout or of a régie's address).

Concurrent renders of the same invoice never corrupt what is served: each render writes a file of
its own (a random name nobody reads yet), then the row is pointed at it in one transaction; the
file it replaces is deleted after that commit. A reader that still had the old name and finds it
gone renders the PDF instead.
"""
import datetime
import hashlib
import logging
import secrets
import threading
import time
from collections import Counter
from contextlib import contextmanager

from celery import current_app
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import get_template
from django.utils import timezone

from portal.models import Organisation
from portal.queue import enqueue

from .. import pdf
from ..models import Invoice, InvoicePdf

logger = logging.getLogger(__name__)

# Bump when billing/pdf.py changes what it renders from the same data (the templates' sources are
# fingerprinted on their own): every stored PDF is then stale.
LAYOUT_VERSION = "2"  # 2: tagged PDF/UA-1 (portal.pdf)
# What billing/pdf/invoice.html shows that can change after issue, by model:
INVOICE_FIELDS = ("status", "paid_amount", "credited_amount")
REGIE_FIELDS = ("name", "address", "phone", "email", "payment_provider", "cheque_payee", "cash_desk")
ORGANISATION_FIELDS = ("name", "address", "phone", "email")
# Invoices per Celery task: ≈ 5–10 s of rendering, so a month spreads over every worker.
TASK_CHUNK = 50
# The stored files: <PDF_DIR>/<year of issue>/<invoice id>-<random>.pdf in the default (private) storage.
PDF_DIR = "factures"

_layout = None


def _layout_fingerprint():
    """The layout's part of the fingerprint: LAYOUT_VERSION and the sources of the template and its
    stylesheet (computed once per process; a deployment that changes them makes every PDF stale)."""
    global _layout
    if _layout is None:
        digest = hashlib.sha256(LAYOUT_VERSION.encode())
        for name in (pdf.INVOICE_TEMPLATE, pdf.INVOICE_STYLESHEET):
            digest.update(get_template(name).template.source.encode())
        _layout = digest.hexdigest()
    return _layout


def invoice_pdf_fingerprint(invoice, organisation):
    """A digest of everything the invoice PDF shows that can change after issue; no query when
    ``invoice.regie`` is loaded.

    The frozen snapshot (number, dates, payer name and address, family, lines, total) is left out:
    it never changes. In are:
    - the settlement fields (``INVOICE_FIELDS``): « Déjà réglé » and « Reste à payer » print them;
      ``status`` is not printed today but costs nothing and keeps a future badge honest;
    - the credit notes, through ``credited_amount``: a credit note is never modified nor deleted and
      its amount is positive, so every new one raises ``credited_amount`` — the list printed (number,
      date, amount of each) is known from it without reading the credit notes;
    - the régie's header and payment instructions (``REGIE_FIELDS``) and the organisation's header
      (``ORGANISATION_FIELDS``), which the PDF prints as they are now, not as they were at issue: an
      edit makes every PDF of the régie (or all of them) stale, rendered again on download or by
      ``manage.py render_invoice_pdfs``;
    - the layout (``_layout_fingerprint``).
    Nothing in the PDF depends on the day it is rendered.
    """
    regie = invoice.regie
    parts = [_layout_fingerprint()]
    parts += [str(getattr(invoice, field)) for field in INVOICE_FIELDS]
    parts += [str(getattr(regie, field)) for field in REGIE_FIELDS]
    parts += [str(getattr(organisation, field)) for field in ORGANISATION_FIELDS]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _storage():
    return InvoicePdf._meta.get_field("file").storage


def _stored_row(invoice):
    """``invoice.pdf`` (no query when selected with ``select_related("pdf")``), or None."""
    return getattr(invoice, "pdf", None)


def invoice_pdf_stored(invoice, *, organisation):
    """The stored PDF's bytes if it matches what the invoice shows now, else None. Never renders."""
    stored = _stored_row(invoice)
    if stored is None or stored.fingerprint != invoice_pdf_fingerprint(invoice, organisation):
        return None
    try:
        with _storage().open(stored.file.name, "rb") as handle:
            return handle.read()
    except (FileNotFoundError, ValueError):  # replaced by a concurrent render, or removed by hand
        return None


def invoice_pdf_render(invoice, *, organisation=None, now=None):
    """Render the invoice PDF, store it (replacing the previous copy) and return its bytes.

    A failure to store is logged, never raised: the PDF is still returned.
    """
    organisation = organisation or Organisation.current()
    fingerprint = invoice_pdf_fingerprint(invoice, organisation)  # before rendering: see invoice_pdf_get
    content = pdf.invoice_pdf(invoice, organisation=organisation)
    try:
        _store(invoice, content, fingerprint, now or timezone.now())
    except Exception:  # noqa: BLE001 — the parent gets the PDF; the next download tries again
        logger.exception("Could not store the PDF of invoice %s", invoice.pk)
    return content


def invoice_pdf_get(invoice, *, organisation=None):
    """The invoice PDF as it should print now: the stored copy when it is up to date, else rendered
    and stored. ``invoice`` should come with ``select_related("regie", "pdf")``.

    The fingerprint is computed from ``invoice`` as loaded, before its credit notes are read for
    rendering; a payment or credit note committed in between can only make the stored fingerprint
    older than the file, so the next download renders again — a stored copy is never served for a
    state it does not show.
    """
    organisation = organisation or Organisation.current()
    content = invoice_pdf_stored(invoice, organisation=organisation)
    if content is None:
        content = invoice_pdf_render(invoice, organisation=organisation)
    return content


def _store(invoice, content, fingerprint, now):
    storage = _storage()
    # A name of its own: nobody reads it until the row points at it.
    name = storage.save(f"{PDF_DIR}/{invoice.issued_on:%Y}/{invoice.pk}-{secrets.token_hex(8)}.pdf",
                        ContentFile(content))
    values = {"file": name, "fingerprint": fingerprint, "size": len(content), "rendered_at": now}
    try:
        with transaction.atomic():
            old = InvoicePdf.objects.select_for_update().filter(pk=invoice.pk).values_list("file", flat=True).first()
            if old is None:
                try:
                    with transaction.atomic():
                        InvoicePdf.objects.create(invoice_id=invoice.pk, **values)
                except IntegrityError:  # a concurrent render stored its copy first: replace it
                    old = InvoicePdf.objects.select_for_update().filter(pk=invoice.pk).values_list("file", flat=True).get()
                    InvoicePdf.objects.filter(pk=invoice.pk).update(**values)
            else:
                InvoicePdf.objects.filter(pk=invoice.pk).update(**values)
            if old:
                transaction.on_commit(lambda: _delete_quietly(old))
    except BaseException:
        _delete_quietly(name)
        raise


def _delete_quietly(name):
    """Delete a stored file; a failure is logged, not raised. True when deleted."""
    try:
        _storage().delete(name)
    except OSError:
        logger.warning("Could not delete the invoice PDF %s", name, exc_info=True)
        return False
    return True


def invoice_pdf_is_fresh(invoice, *, organisation):
    """The stored copy matches and its file is there (one stat, no read)."""
    stored = _stored_row(invoice)
    return (
        stored is not None and stored.fingerprint == invoice_pdf_fingerprint(invoice, organisation)
        and _storage().exists(stored.file.name)
    )


def invoice_pdfs_render(*, ids, force=False):
    """Render and store the PDFs of invoices ``ids`` that are missing or stale (all of them with
    ``force``). Idempotent. A failure is logged and counted; the others go on.

    Returns a Counter: ``rendered``, ``fresh`` (already up to date), ``failed``, ``missing`` (no such
    invoice), and ``seconds`` spent rendering.
    """
    ids = list(ids)
    organisation = Organisation.current()
    counts = Counter()
    found = 0
    for invoice in Invoice.objects.filter(pk__in=ids).select_related("regie", "pdf").order_by("pk"):
        found += 1
        if not force and invoice_pdf_is_fresh(invoice, organisation=organisation):
            counts["fresh"] += 1
            continue
        start = time.perf_counter()
        try:
            invoice_pdf_render(invoice, organisation=organisation)
        except Exception:  # noqa: BLE001 — one broken invoice must not stop the others
            logger.exception("Could not render the PDF of invoice %s", invoice.pk)
            counts["failed"] += 1
        else:
            counts["rendered"] += 1
        counts["seconds"] += time.perf_counter() - start
    counts["missing"] += len(set(ids)) - found
    return counts


def invoice_pdfs_stale_ids(queryset, *, batch=2000):
    """Ids of the invoices of ``queryset`` whose stored PDF is missing or stale, in the queryset's
    order (reads the invoices with their régie and stored row by batches; one stat per stored file)."""
    organisation = Organisation.current()
    stale = []
    for invoice in queryset.select_related("regie", "pdf").iterator(chunk_size=batch):
        if not invoice_pdf_is_fresh(invoice, organisation=organisation):
            stale.append(invoice.pk)
    return stale


def render_in_background():
    """Whether issuing, payments and credit notes queue the rendering of the PDFs they change.

    Setting ``BILLING_INVOICE_PDF_RENDER_AFTER_COMMIT``; by default only when Celery has a real
    broker. In-process (no broker: the SQLite demo, development) the eager task would render a whole
    month inside the request that issues it; the PDFs are then rendered on their first download.
    """
    value = getattr(settings, "BILLING_INVOICE_PDF_RENDER_AFTER_COMMIT", None)
    if value is None:
        return not current_app.conf.task_always_eager
    return bool(value)


_batch = threading.local()


def invoice_pdfs_render_on_commit(ids):
    """Queue the rendering of invoices ``ids``' PDFs, by chunks of ``TASK_CHUNK``, once the current
    transaction commits (at once outside a transaction). Inside ``invoice_pdfs_batched()`` the ids are
    gathered and queued together when it ends."""
    gathered = getattr(_batch, "ids", None)
    if gathered is not None:
        gathered.update(ids)
        return
    ids = sorted(set(ids))
    if ids and render_in_background():
        transaction.on_commit(lambda: invoice_pdfs_enqueue(ids))


@contextmanager
def invoice_pdfs_batched():
    """Many invoices changed in one go (a direct-debit batch's payments): one queuing, by chunks, for all
    of them instead of one task per invoice. Nothing is queued when the block raises."""
    if getattr(_batch, "ids", None) is not None:  # already gathering: the outer block queues
        yield
        return
    _batch.ids = set()
    try:
        yield
        ids = _batch.ids
    finally:
        _batch.ids = None
    invoice_pdfs_render_on_commit(ids)


def invoice_pdfs_enqueue(ids):
    """One Celery task per chunk of ids. A broker failure is logged, never raised: those PDFs are
    rendered on their first download (or by ``manage.py render_invoice_pdfs``). Returns tasks queued."""
    queued = 0
    for i in range(0, len(ids), TASK_CHUNK):
        try:
            enqueue("billing.tasks.invoice_pdfs_render", ids[i : i + TASK_CHUNK])
        except Exception:  # noqa: BLE001
            logger.warning("Could not queue the rendering of %d invoice PDF(s)", len(ids) - i, exc_info=True)
            break
        queued += 1
    return queued


# A file is written before the row that points at it commits: a render in flight owns a file no row
# names yet. Files younger than this are never swept.
ORPHAN_GRACE = datetime.timedelta(hours=1)


def invoice_pdfs_orphans_delete(*, now=None, grace=ORPHAN_GRACE):
    """Delete the stored invoice PDFs no ``InvoicePdf`` row names any more: a copy whose row update
    rolled back, or a worker killed between writing the file and committing. Files modified less than
    ``grace`` ago are left alone (their render may still be committing). Returns how many were
    deleted. Reads one year's folder at a time (``factures/<year>/``)."""
    now = now or timezone.now()
    storage = _storage()
    try:
        years, _ = storage.listdir(PDF_DIR)
    except FileNotFoundError:
        return 0
    deleted = 0
    for year in sorted(years):
        folder = f"{PDF_DIR}/{year}"
        named = set(InvoicePdf.objects.filter(file__startswith=f"{folder}/").values_list("file", flat=True))
        _, files = storage.listdir(folder)
        for filename in sorted(files):
            name = f"{folder}/{filename}"
            if name in named:
                continue
            try:
                if now - storage.get_modified_time(name) < grace:
                    continue
            except FileNotFoundError:  # replaced and deleted meanwhile
                continue
            deleted += _delete_quietly(name)
    return deleted
