"""Family documents, versioned consents and the yearly renewal: the writes.

Services take keyword arguments, run in a transaction, raise a DomainError with a French message and write
an AuditLog row for every staff decision. What changes the family file itself (the quotient applied when a
renewal is validated) goes through ``families.services``.
"""
import datetime

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from families.models import Family, QuotientRecord
from families.services import family_quotient_set
from portal.errors import FamilyError
from portal.mail import email_queue
from portal.models import AuditLog
from portal.uploads import safe_filename, upload_check

from .models import ConsentAcceptance, ConsentVersion, FamilyDocument, RenewalCampaign, RenewalSubmission
from .selectors import consent_is_optional, current_consent_versions, family_emails, renewal_sections, today


def _link(name, *args):
    return settings.PORTAL_BASE_URL + reverse(name, args=args)


# --- Documents -------------------------------------------------------------------------------------------------

@transaction.atomic
def document_upload(*, family, user, document_type, uploaded, now=None):
    now = now or timezone.now()
    if not document_type.is_active:
        raise FamilyError("Ce document n'est plus demandé.")
    mime = upload_check(uploaded)
    valid_until = None
    if document_type.validity_months:
        valid_until = today(now) + relativedelta(months=document_type.validity_months)
    return FamilyDocument.objects.create(
        family=family, document_type=document_type, file=uploaded, original_name=safe_filename(uploaded.name),
        content_type=mime, size=uploaded.size, uploaded_at=now, uploaded_by=user, valid_until=valid_until,
    )


def _document_values(document):
    return {"status": document.status, "refusal_reason": document.refusal_reason,
            "valid_until": document.valid_until.isoformat() if document.valid_until else None}


@transaction.atomic
def document_decide(*, document, staff_user, status, reason="", valid_until=None, now=None):
    now = now or timezone.now()
    document = FamilyDocument.objects.select_for_update().select_related("document_type", "family").get(pk=document.pk)
    if status not in (FamilyDocument.Status.ACCEPTED, FamilyDocument.Status.REFUSED, FamilyDocument.Status.RECEIVED):
        raise FamilyError("Décision inconnue.")
    if status == FamilyDocument.Status.REFUSED and not reason.strip():
        raise FamilyError("Indiquez le motif du refus : la famille le verra.")
    old = _document_values(document)
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
        old_values=old, new_values=_document_values(document),
    )
    if status in (FamilyDocument.Status.ACCEPTED, FamilyDocument.Status.REFUSED):
        for to in family_emails(document.family):
            email_queue(to=to, template="document_decision", related=document,
                        context={"document": document, "link": _link("documents:index")})
    return document


# --- Consents --------------------------------------------------------------------------------------------------

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


# --- Renewal ---------------------------------------------------------------------------------------------------

def renewal_get_or_create(*, family, campaign):
    submission, _ = RenewalSubmission.objects.get_or_create(campaign=campaign, family=family)
    return submission


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
    sections, _missing = renewal_sections(submission=submission, now=now)
    remaining = [s["label"] for s in sections if not s["done"]]
    if remaining:
        raise FamilyError("Il reste des rubriques à compléter : " + ", ".join(remaining) + ".")
    submission.status = RenewalSubmission.Status.SUBMITTED
    submission.submitted_at = now
    submission.submitted_by = user
    submission.family_comment = comment.strip()
    submission.save(update_fields=["status", "submitted_at", "submitted_by", "family_comment"])
    for to in family_emails(submission.family):
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
        family = family_quotient_set(
            family=family, quotient=submission.declared_quotient, valid_from=today(now),
            valid_until=_school_year_end(submission.campaign), benefit_number=submission.quotient_benefit_number,
            by=staff_user, reason=f"lors de l'{submission.campaign}".lower(), source=QuotientRecord.Source.PROOF,
        )
    AuditLog.objects.create(
        actor=staff_user, family=family, action="renewal_validated" if validate else "renewal_returned",
        summary=f"{submission.campaign} : {submission.get_status_display().lower()}"[:300],
        old_values={"status": old_status}, new_values={"status": submission.status, "comment": submission.staff_comment},
    )
    for to in family_emails(family):
        email_queue(to=to, template="renewal_validated" if validate else "renewal_returned", related=submission,
                    context={"submission": submission, "link": _link("documents:renewal")})
    return submission


def renewal_send_reminders(*, now=None):
    """Remind families whose renewal is not sent yet. Idempotent: a family is reminded at most once
    every ``reminder_every_days`` days, so running the job twice sends nothing more."""
    now = now or timezone.now()
    day = today(now)
    sent = 0
    for campaign in RenewalCampaign.objects.filter(is_open=True, opens_on__lte=day, deadline__gte=day):
        family_ids = (
            Family.objects.filter(children__is_active=True).exclude(
                renewals__campaign=campaign,
                renewals__status__in=(RenewalSubmission.Status.SUBMITTED, RenewalSubmission.Status.VALIDATED),
            ).values_list("pk", flat=True).distinct()
        )
        for family_id in family_ids.iterator(chunk_size=500):
            sent += _renewal_remind(campaign=campaign, family_id=family_id, now=now)
    return sent


@transaction.atomic
def _renewal_remind(*, campaign, family_id, now):
    """Remind one family (1 if an e-mail was queued, else 0), unless reminded less than a period ago."""
    threshold = now - datetime.timedelta(days=campaign.reminder_every_days) + datetime.timedelta(minutes=5)
    submission, _ = RenewalSubmission.objects.get_or_create(campaign=campaign, family_id=family_id)
    submission = RenewalSubmission.objects.select_for_update().select_related("family").get(pk=submission.pk)
    if not submission.is_editable or (submission.last_reminder_at and submission.last_reminder_at > threshold):
        return 0
    recipients = family_emails(submission.family)
    for to in recipients:
        email_queue(to=to, template="renewal_reminder", related=submission,
                    context={"submission": submission, "campaign": campaign, "link": _link("documents:renewal")})
    submission.last_reminder_at = now
    submission.reminders_sent += 1
    submission.save(update_fields=["last_reminder_at", "reminders_sent"])
    return 1 if recipients else 0
