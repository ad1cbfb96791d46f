"""Family documents of the city: each document type uploaded by seven families in ten, most accepted.
One small PDF on disk is shared by every row (the rows are what the pages read)."""
import datetime
from pathlib import Path

from django.conf import settings

from documents.models import DocumentType, FamilyDocument

from .bulk import Copier

COPIED = (FamilyDocument,)
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>"
       b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def generate(run, families):
    rng, now = run.rng, run.now
    media = Path(settings.MEDIA_ROOT) / "documents" / "city"
    media.mkdir(parents=True, exist_ok=True)
    pdf = media / "justificatif.pdf"
    if not pdf.exists():
        pdf.write_bytes(PDF)
    size = pdf.stat().st_size
    types = list(DocumentType.objects.filter(is_active=True).order_by("order"))
    if not types:
        types = [DocumentType.objects.create(name="Justificatif de domicile", validity_months=12, order=1),
                 DocumentType.objects.create(name="Attestation d'assurance", validity_months=12, order=2)]
    docs = Copier(run.cur, FamilyDocument, ["family_id", "document_type_id", "file", "original_name",
                                            "content_type", "size", "uploaded_at", "uploaded_by_id", "status",
                                            "valid_until"], now)
    with docs:
        for f in families:
            for t in types:
                if rng.random() < 0.7:
                    up = now - datetime.timedelta(days=rng.randint(5, 200))
                    docs.row(f["id"], t.id, "documents/city/justificatif.pdf", f"{t.name.lower()}.pdf",
                             "application/pdf", size, up, f["guardians"][0]["user_id"],
                             "accepted" if rng.random() < 0.85 else "received",
                             (up + datetime.timedelta(days=365)).date())
    run.counts["documents"] = docs.count
