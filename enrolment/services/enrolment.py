"""Enrolment requests (one child or several siblings), staff decisions and the certificate PDF."""
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from families import counters
from families.completeness import family_file_complete
from portal.errors import EnrolmentError
from portal.mail import email_queue
from portal.models import AuditLog, Organisation
from portal.pdf import html_to_pdf

from .. import rules
from ..models import Enrolment
from .booking import enrolment_prebook, family_emails


def group_check(*, child, group, activity=None):
    activity = activity or group.activity
    return rules.group_eligibility(
        school_stage=group.school_stage, min_age=group.min_age, max_age=group.max_age,
        birth_date=child.birth_date, school_level=child.school_level, on=activity.season_start,
    )


def eligible_groups(*, child, activity, groups=None):
    groups = list(activity.groups.all()) if groups is None else groups
    return [g for g in groups if group_check(child=child, group=g, activity=activity).ok]


def enrolment_request(*, child, activity, group, by, now=None):
    """A parent asks to enrol ``child`` in ``activity`` / ``group``.

    Validated at once when the activity validates itself (then regular units are pre-booked), else pending.
    """
    now = now or timezone.now()
    today = timezone.localdate(now, rules.PARIS)
    if group.activity_id != activity.id:
        raise EnrolmentError("Ce groupe n'appartient pas à cette activité.")
    if not activity.is_active:
        raise EnrolmentError("Cette activité n'est pas proposée aux familles.")
    if activity.enrolment_opens and today < activity.enrolment_opens:
        raise EnrolmentError(f"Les inscriptions à « {activity.name} » ouvrent le {activity.enrolment_opens:%d/%m/%Y}.")
    if activity.enrolment_closes and today > activity.enrolment_closes:
        raise EnrolmentError(f"Les inscriptions à « {activity.name} » sont closes depuis le "
                             f"{activity.enrolment_closes:%d/%m/%Y}.")
    if today > activity.season_end:
        raise EnrolmentError(f"La saison de « {activity.name} » est terminée.")
    if activity.requires_complete_file and not _file_complete(child.family, now):
        raise EnrolmentError(f"L'inscription à « {activity.name} » demande un dossier famille complet : déposez "
                             f"les documents demandés et répondez aux consentements dans « Mon dossier ».")
    decision = group_check(child=child, group=group, activity=activity)
    if not decision.ok:
        raise EnrolmentError(f"{child.first_name} ne peut pas être inscrit(e) dans le groupe « {group.name} » : "
                             f"{decision.reason}.")
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                child=child, activity=activity, group=group, requested_at=now, requested_by=by,
                status=Enrolment.Status.VALIDATED if activity.auto_validate else Enrolment.Status.PENDING,
                decided_at=now if activity.auto_validate else None,
            )
            if enrolment.status == Enrolment.Status.VALIDATED and activity.prebook_regular:
                enrolment_prebook(enrolment=enrolment, now=now)
            if enrolment.status == Enrolment.Status.PENDING:
                counters.recount(["pending_enrolments"], [child.family_id])  # the transaction's last lock
            for to in family_emails(child.family):
                email_queue(to=to, template="enrolment_request", context={"enrolment": enrolment}, related=enrolment)
    except IntegrityError:
        raise EnrolmentError(f"{child.first_name} est déjà inscrit(e) ou a déjà une demande en cours pour "
                             f"« {activity.name} ».") from None
    return enrolment


def _file_complete(family, now):
    return family_file_complete(family=family, now=now)


@dataclass
class SiblingResult:
    child: object
    enrolment: object = None
    error: str = ""


def enrolment_request_siblings(*, requests, activity, by, now=None):
    """Enrol several children of one family at once; ``requests`` is [(child, group)].

    Each child is checked on its own; returns one SiblingResult per child (enrolment or French error).
    """
    results = []
    for child, group in requests:
        try:
            results.append(SiblingResult(child, enrolment_request(child=child, activity=activity, group=group,
                                                                  by=by, now=now)))
        except EnrolmentError as exc:
            results.append(SiblingResult(child, error=exc.message))
    return results


def enrolment_decide(*, enrolment, accept, by, reason="", now=None):
    """Staff validate or refuse a pending enrolment; e-mails the family and writes the audit log."""
    now = now or timezone.now()
    with transaction.atomic():
        enrolment = Enrolment.objects.select_for_update(of=("self",)).select_related("child__family", "activity", "group").get(
            pk=enrolment.pk)
        if enrolment.status != Enrolment.Status.PENDING:
            raise EnrolmentError("Cette demande d'inscription a déjà été traitée.")
        if not accept and not reason.strip():
            raise EnrolmentError("Indiquez le motif du refus.")
        enrolment.status = Enrolment.Status.VALIDATED if accept else Enrolment.Status.REFUSED
        enrolment.refusal_reason = "" if accept else reason.strip()
        enrolment.decided_at, enrolment.decided_by = now, by
        enrolment.save()
        AuditLog.objects.create(
            actor=by, family=enrolment.child.family, action="enrolment.decide",
            summary=f"Inscription {'validée' if accept else 'refusée'} : {enrolment}"[:300],
            old_values={"status": "pending"},
            new_values={"status": enrolment.status, "reason": enrolment.refusal_reason},
        )
        if accept and enrolment.activity.prebook_regular:
            enrolment_prebook(enrolment=enrolment, now=now)
        counters.recount(["pending_enrolments"], [enrolment.child.family_id])  # the transaction's last lock
        for to in family_emails(enrolment.child.family):
            email_queue(to=to, template="enrolment_decision", context={"enrolment": enrolment}, related=enrolment)
    return enrolment


def enrolment_certificate_pdf(*, enrolment, now=None):
    """The "attestation d'inscription" of a validated enrolment, as PDF bytes."""
    if enrolment.status != Enrolment.Status.VALIDATED:
        raise EnrolmentError("Seule une inscription validée donne lieu à une attestation.")
    now = now or timezone.now()
    html = render_to_string("enrolment/certificate.html", {
        "enrolment": enrolment, "organisation": Organisation.current(),
        "today": timezone.localdate(now, rules.PARIS),
    })
    return html_to_pdf(html)  # tagged PDF/UA-1
