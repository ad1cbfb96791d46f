"""Family documents, versioned consents and the yearly renewal: writes and the reads they need.

Owned by the messaging/news/documents area. Services take keyword arguments, run in a
transaction, raise a DomainError with a French message and write an AuditLog row for every
staff decision.
"""
import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.caching import cached_config
from portal.errors import FamilyError
from portal.mail import email_queue
from portal.models import AuditLog
from portal.uploads import safe_filename, upload_check

from .models import Family, Guardian
from .models_documents import (
    ConsentAcceptance,
    ConsentVersion,
    DocumentType,
    FamilyDocument,
    RenewalCampaign,
    RenewalSubmission,
)


def _family_documents(family):
    """Every document of a family, newest first per type (a family has a few dozen at most; the
    inactive types are skipped by the caller). 1 query."""
    return FamilyDocument.objects.filter(family=family).order_by("document_type_id", "-uploaded_at", "-pk")


def _today(now=None):
    return timezone.localdate(now or timezone.now())


def _link(name, *args):
    return settings.PORTAL_BASE_URL + reverse(name, args=args)


def _family_emails(family):
    if not family.allow_email:
        return []
    return [g.email for g in Guardian.objects.filter(family=family).order_by("rank") if g.email]


# --- Documents -------------------------------------------------------------------------------------------------

def documents_status(*, family, now=None):
    """Each active document type with the family's latest document and a state (1 query: the types come
    from the cache).

    state: "missing", "refused", "expired", "received" or "accepted".
    """
    today = _today(now)
    types = active_document_types()
    latest = {}
    for doc in _family_documents(family):
        latest.setdefault(doc.document_type_id, doc)
    rows = []
    for doc_type in types:
        doc = latest.get(doc_type.pk)
        if doc is None:
            state = "missing"
        elif doc.status == FamilyDocument.Status.REFUSED:
            state = "refused"
        elif doc.valid_until and doc.valid_until < today:
            state = "expired"
        else:
            state = doc.status
        rows.append({"type": doc_type, "document": doc, "state": state,
                     "needs_action": doc_type.is_required and state in ("missing", "refused", "expired")})
    return rows


def documents_to_provide(*, family, now=None):
    return [row for row in documents_status(family=family, now=now) if row["needs_action"]]


@transaction.atomic
def document_upload(*, family, user, document_type, uploaded, now=None):
    now = now or timezone.now()
    if not document_type.is_active:
        raise FamilyError("Ce document n'est plus demandé.")
    mime = upload_check(uploaded)
    valid_until = None
    if document_type.validity_months:
        valid_until = _today(now) + relativedelta(months=document_type.validity_months)
    return FamilyDocument.objects.create(
        family=family, document_type=document_type, file=uploaded, original_name=safe_filename(uploaded.name),
        content_type=mime, size=uploaded.size, uploaded_at=now, uploaded_by=user, valid_until=valid_until,
    )


@transaction.atomic
def document_decide(*, document, staff_user, status, reason="", valid_until=None, now=None):
    now = now or timezone.now()
    document = FamilyDocument.objects.select_for_update().select_related("document_type", "family").get(pk=document.pk)
    if status not in (FamilyDocument.Status.ACCEPTED, FamilyDocument.Status.REFUSED, FamilyDocument.Status.RECEIVED):
        raise FamilyError("Décision inconnue.")
    if status == FamilyDocument.Status.REFUSED and not reason.strip():
        raise FamilyError("Indiquez le motif du refus : la famille le verra.")
    old = {"status": document.status, "refusal_reason": document.refusal_reason,
           "valid_until": document.valid_until.isoformat() if document.valid_until else None}
    document.status = status
    document.refusal_reason = reason.strip() if status == FamilyDocument.Status.REFUSED else ""
    if valid_until is not None:
        document.valid_until = valid_until
    document.decided_by = staff_user
    document.decided_at = now
    document.save(update_fields=["status", "refusal_reason", "valid_until", "decided_by", "decided_at"])
    AuditLog.objects.create(
        actor=staff_user, family=document.family, action=f"document_{status}",
        summary=f"Document « {document.document_type.name} » : {document.get_status_display().lower()}"[:300],
        old_values=old,
        new_values={"status": document.status, "refusal_reason": document.refusal_reason,
                    "valid_until": document.valid_until.isoformat() if document.valid_until else None},
    )
    if status in (FamilyDocument.Status.ACCEPTED, FamilyDocument.Status.REFUSED):
        for to in _family_emails(document.family):
            email_queue(to=to, template="document_decision", related=document,
                        context={"document": document, "link": _link("documents:index")})
    return document


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
    return version.kind == ConsentVersion.Kind.IMAGE


@transaction.atomic
def consent_publish(*, kind, title, text, staff_user, now=None):
    """Publish a new version of a consent text: every parent is asked again at their next login."""
    last = ConsentVersion.objects.select_for_update().filter(kind=kind).order_by("-version").first()
    version = ConsentVersion.objects.create(
        kind=kind, version=(last.version + 1) if last else 1, title=title, text=text, published_at=now or timezone.now(),
        published_by=staff_user,
    )
    AuditLog.objects.create(
        actor=staff_user, family=None, action="consent_publish",
        summary=f"Nouvelle version publiée : {version}"[:300], new_values={"kind": kind, "version": version.version},
    )
    return version


@transaction.atomic
def consent_answer(*, guardian, answers, now=None):
    """``answers`` maps a current ConsentVersion to True (accepted) or False (refused, optional texts only)."""
    now = now or timezone.now()
    current = {v.pk: v for v in current_consent_versions()}
    for version, accepted in answers.items():
        if version.pk not in current:
            raise FamilyError("Ce texte a été remplacé par une nouvelle version : relisez-la.")
        if not accepted and not consent_is_optional(version):
            raise FamilyError(f"Vous devez accepter « {version.title} » pour utiliser le portail.")
        ConsentAcceptance.objects.update_or_create(
            version=version, guardian=guardian,
            defaults={"family_id": guardian.family_id, "accepted": bool(accepted), "answered_at": now},
        )


def consent_history(*, family):
    return list(
        ConsentAcceptance.objects.filter(family=family).select_related("version", "guardian").order_by("-answered_at")
    )


# --- Renewal ---------------------------------------------------------------------------------------------------

def current_campaign(*, now=None):
    """The open campaign that opened last (read from the cache of open campaigns)."""
    today = _today(now)
    open_campaigns = cached_config(
        "renewal-campaigns-open",
        lambda: list(RenewalCampaign.objects.filter(is_open=True).order_by("-opens_on")),
        models=[RenewalCampaign],
    )
    return next((c for c in open_campaigns if c.opens_on <= today), None)


def active_document_types():
    """The document types families are asked for, in order (read from the cache)."""
    return cached_config(
        "document-types-active", lambda: list(DocumentType.objects.filter(is_active=True)), models=[DocumentType]
    )


def renewal_get_or_create(*, family, campaign):
    submission, _ = RenewalSubmission.objects.get_or_create(campaign=campaign, family=family)
    return submission


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


def _editable(submission):
    submission = RenewalSubmission.objects.select_for_update().select_related("campaign").get(pk=submission.pk)
    if not submission.is_editable:
        raise FamilyError("Votre actualisation a été envoyée : elle ne peut plus être modifiée.")
    if not submission.campaign.is_open:
        raise FamilyError("La campagne d'actualisation est close.")
    return submission


@transaction.atomic
def renewal_confirm_section(*, submission, section):
    if section not in ("composition", "children", "contacts"):
        raise FamilyError("Rubrique inconnue.")
    submission = _editable(submission)
    if section not in submission.confirmed_sections:
        submission.confirmed_sections = [*submission.confirmed_sections, section]
        submission.save(update_fields=["confirmed_sections"])
    return submission


@transaction.atomic
def renewal_declare_quotient(*, submission, quotient, benefit_number, proof):
    submission = _editable(submission)
    if quotient is None or quotient < 0:
        raise FamilyError("Indiquez votre quotient familial tel qu'il figure sur l'attestation de la CAF.")
    if proof is None and not submission.quotient_proof:
        raise FamilyError("Joignez l'attestation de quotient familial de la CAF (PDF, JPEG ou PNG).")
    submission.declared_quotient = quotient
    submission.quotient_benefit_number = benefit_number.strip()
    if proof is not None:
        submission.quotient_proof_type = upload_check(proof)
        submission.quotient_proof_name = safe_filename(proof.name)
        submission.quotient_proof = proof
    submission.save()
    return submission


@transaction.atomic
def renewal_submit(*, submission, user, comment="", now=None):
    now = now or timezone.now()
    submission = _editable(submission)
    sections, missing = renewal_sections(submission=submission, now=now)
    remaining = [s["label"] for s in sections if not s["done"]]
    if remaining:
        raise FamilyError("Il reste des rubriques à compléter : " + ", ".join(remaining) + ".")
    submission.status = RenewalSubmission.Status.SUBMITTED
    submission.submitted_at = now
    submission.submitted_by = user
    submission.family_comment = comment.strip()
    submission.save(update_fields=["status", "submitted_at", "submitted_by", "family_comment"])
    for to in _family_emails(submission.family):
        email_queue(to=to, template="renewal_submitted", related=submission,
                    context={"submission": submission, "link": _link("documents:renewal")})
    return submission


def _school_year_end(campaign):
    try:
        return datetime.date(int(campaign.school_year[-4:]), 8, 31)
    except ValueError:
        return None


@transaction.atomic
def renewal_decide(*, submission, staff_user, validate, comment="", apply_quotient=True, now=None):
    """Validate a submitted renewal (applying the declared quotient) or return it with a comment."""
    now = now or timezone.now()
    submission = RenewalSubmission.objects.select_for_update().select_related("campaign", "family").get(pk=submission.pk)
    if submission.status != RenewalSubmission.Status.SUBMITTED:
        raise FamilyError("Seule une actualisation envoyée par la famille peut être validée ou renvoyée.")
    if not validate and not comment.strip():
        raise FamilyError("Indiquez à la famille ce qu'elle doit corriger.")
    old_status = submission.status
    submission.status = RenewalSubmission.Status.VALIDATED if validate else RenewalSubmission.Status.RETURNED
    submission.staff_comment = comment.strip()
    submission.decided_by = staff_user
    submission.decided_at = now
    submission.save(update_fields=["status", "staff_comment", "decided_by", "decided_at"])
    family = submission.family
    if validate and apply_quotient and submission.declared_quotient is not None:
        family = Family.objects.select_for_update().get(pk=family.pk)
        old = {"quotient": str(family.quotient) if family.quotient is not None else None,
               "benefit_number": family.benefit_number}
        family.quotient = submission.declared_quotient
        family.quotient_valid_from = _today(now)
        family.quotient_valid_until = _school_year_end(submission.campaign) or family.quotient_valid_until
        if submission.quotient_benefit_number:
            family.benefit_number = submission.quotient_benefit_number
        family.save(update_fields=["quotient", "quotient_valid_from", "quotient_valid_until", "benefit_number",
                                   "updated_at"])
        AuditLog.objects.create(
            actor=staff_user, family=family, action="quotient_update",
            summary=f"Quotient familial mis à jour lors de l'{submission.campaign}".lower()[:300],
            old_values=old, new_values={"quotient": str(family.quotient), "benefit_number": family.benefit_number},
        )
    AuditLog.objects.create(
        actor=staff_user, family=family, action="renewal_validated" if validate else "renewal_returned",
        summary=f"{submission.campaign} : {submission.get_status_display().lower()}"[:300],
        old_values={"status": old_status}, new_values={"status": submission.status, "comment": submission.staff_comment},
    )
    for to in _family_emails(family):
        email_queue(to=to, template="renewal_validated" if validate else "renewal_returned", related=submission,
                    context={"submission": submission, "link": _link("documents:renewal")})
    return submission


def renewal_send_reminders(*, now=None):
    """Remind families whose renewal is not sent yet. Idempotent: a family is reminded at most once
    every ``reminder_every_days`` days, so running the job twice sends nothing more."""
    now = now or timezone.now()
    today = _today(now)
    sent = 0
    campaigns = RenewalCampaign.objects.filter(is_open=True, opens_on__lte=today, deadline__gte=today)
    for campaign in campaigns:
        threshold = now - datetime.timedelta(days=campaign.reminder_every_days) + datetime.timedelta(minutes=5)
        family_ids = (
            Family.objects.filter(children__is_active=True).exclude(
                renewals__campaign=campaign,
                renewals__status__in=(RenewalSubmission.Status.SUBMITTED, RenewalSubmission.Status.VALIDATED),
            ).values_list("pk", flat=True).distinct()
        )
        for family_id in family_ids.iterator(chunk_size=500):
            with transaction.atomic():
                submission, _ = RenewalSubmission.objects.get_or_create(campaign=campaign, family_id=family_id)
                submission = RenewalSubmission.objects.select_for_update().select_related("family").get(pk=submission.pk)
                if not submission.is_editable:
                    continue
                if submission.last_reminder_at and submission.last_reminder_at > threshold:
                    continue
                recipients = _family_emails(submission.family)
                for to in recipients:
                    email_queue(to=to, template="renewal_reminder", related=submission,
                                context={"submission": submission, "campaign": campaign,
                                         "link": _link("documents:renewal")})
                submission.last_reminder_at = now
                submission.reminders_sent += 1
                submission.save(update_fields=["last_reminder_at", "reminders_sent"])
                sent += 1 if recipients else 0
    return sent


def family_renewal_status(*, family, now=None):
    """The current campaign and this family's submission (or None), 2 queries."""
    campaign = current_campaign(now=now)
    if campaign is None:
        return None
    submission = RenewalSubmission.objects.filter(campaign=campaign, family=family).first()
    return {"campaign": campaign, "submission": submission}


def family_file_complete(*, family, now=None):
    """True when no required document is missing/expired and every current consent is answered.

    For activities that require a complete file before enrolment or booking."""
    if documents_to_provide(family=family, now=now):
        return False
    versions = current_consent_versions()
    guardian_ids = list(Guardian.objects.filter(family=family, user__isnull=False).values_list("pk", flat=True))
    answered = set(
        ConsentAcceptance.objects.filter(guardian_id__in=guardian_ids, version__in=versions)
        .values_list("version_id", flat=True)
    )
    return all(v.pk in answered for v in versions)


def renewal_validated(*, family, school_year):
    return RenewalSubmission.objects.filter(
        family=family, campaign__school_year=school_year, status=RenewalSubmission.Status.VALIDATED
    ).exists()
