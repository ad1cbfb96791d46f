"""Reads of documents, consents and renewal, each in a bounded number of queries (the document types and
the open campaigns come from the shared configuration cache)."""
from django.utils import timezone

from families.models import Guardian
from portal.caching import cached_config

from .models import ConsentAcceptance, ConsentVersion, DocumentType, FamilyDocument, RenewalCampaign, RenewalSubmission


def today(now=None):
    return timezone.localdate(now or timezone.now())


def family_emails(family):
    """The addresses the family agreed to receive e-mails at (1 query, none when it refused e-mails)."""
    if not family.allow_email:
        return []
    return [g.email for g in Guardian.objects.for_family(family).order_by("rank") if g.email]


# --- Documents -------------------------------------------------------------------------------------------------

def active_document_types():
    """The document types families are asked for, in order (read from the cache)."""
    return cached_config(
        "document-types-active", lambda: list(DocumentType.objects.filter(is_active=True)), models=[DocumentType]
    )


def documents_status(*, family, now=None):
    """Each active document type with the family's latest document and a state (1 query: the types come
    from the cache).

    state: "missing", "refused", "expired", "received" or "accepted".
    """
    day = today(now)
    latest = {}
    # Every document of the family, newest first per type (a family has a few dozen at most).
    for doc in FamilyDocument.objects.for_family(family).order_by("document_type_id", "-uploaded_at", "-pk"):
        latest.setdefault(doc.document_type_id, doc)
    rows = []
    for doc_type in active_document_types():
        doc = latest.get(doc_type.pk)
        if doc is None:
            state = "missing"
        elif doc.status == FamilyDocument.Status.REFUSED:
            state = "refused"
        elif doc.valid_until and doc.valid_until < day:
            state = "expired"
        else:
            state = doc.status
        rows.append({"type": doc_type, "document": doc, "state": state,
                     "needs_action": doc_type.is_required and state in ("missing", "refused", "expired")})
    return rows


def documents_to_provide(*, family, now=None):
    return [row for row in documents_status(family=family, now=now) if row["needs_action"]]


def documents_history(*, family, limit=50):
    """The family's latest uploads, newest first, with their type (1 query)."""
    return list(FamilyDocument.objects.for_family(family).select_related("document_type")[:limit])


# --- Consents --------------------------------------------------------------------------------------------------

def current_consent_versions():
    """The newest version of each kind (1 query; versions are few)."""
    current = {}
    for version in ConsentVersion.objects.order_by("kind", "-version"):
        current.setdefault(version.kind, version)
    return [current[k] for k in ConsentVersion.Kind.values if k in current]


def pending_consents(*, guardian):
    """Current versions this guardian has not answered yet (2 queries)."""
    versions = current_consent_versions()
    answered = set(
        ConsentAcceptance.objects.filter(guardian=guardian, version__in=versions).values_list("version_id", flat=True)
    )
    return [v for v in versions if v.pk not in answered]


def consent_is_optional(version):
    """Only the image-rights text may be refused; the others are conditions of using the portal."""
    return version.kind == ConsentVersion.Kind.IMAGE


def consent_history(*, family):
    return list(
        ConsentAcceptance.objects.for_family(family).select_related("version", "guardian").order_by("-answered_at")
    )


def family_file_complete(*, family, now=None):
    """True when no required document is missing/expired and every current consent is answered.

    Registered in ``families.completeness`` for activities that require a complete file before enrolment."""
    if documents_to_provide(family=family, now=now):
        return False
    versions = current_consent_versions()
    guardian_ids = list(Guardian.objects.for_family(family).filter(user__isnull=False).values_list("pk", flat=True))
    answered = set(
        ConsentAcceptance.objects.filter(guardian_id__in=guardian_ids, version__in=versions)
        .values_list("version_id", flat=True)
    )
    return all(v.pk in answered for v in versions)


# --- Renewal ---------------------------------------------------------------------------------------------------

def current_campaign(*, now=None):
    """The open campaign that opened last (read from the cache of open campaigns)."""
    day = today(now)
    open_campaigns = cached_config(
        "renewal-campaigns-open",
        lambda: list(RenewalCampaign.objects.filter(is_open=True).order_by("-opens_on")),
        models=[RenewalCampaign],
    )
    return next((c for c in open_campaigns if c.opens_on <= day), None)


def renewal_sections(*, submission, now=None):
    """Each section with its done flag; "documents" is done when nothing required is missing."""
    missing = documents_to_provide(family=submission.family, now=now)
    rows = []
    for key, label in RenewalSubmission.SECTIONS:
        if key == "documents":
            done = not missing
        elif key == "quotient":
            done = submission.declared_quotient is not None and bool(submission.quotient_proof)
        else:
            done = key in submission.confirmed_sections
        rows.append({"key": key, "label": label, "done": done})
    return rows, missing


def family_renewal_status(*, family, now=None):
    """The current campaign and this family's submission (or None), 1 query."""
    campaign = current_campaign(now=now)
    if campaign is None:
        return None
    submission = RenewalSubmission.objects.filter(campaign=campaign, family=family).first()
    return {"campaign": campaign, "submission": submission}


def renewal_validated(*, family, school_year):
    return RenewalSubmission.objects.filter(
        family=family, campaign__school_year=school_year, status=RenewalSubmission.Status.VALIDATED
    ).exists()
