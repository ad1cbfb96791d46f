"""Pre-enrolment (préinscription): the family's side — file, update, confirm, withdraw, the birth of an
expected child — and the periodic confirmation reminders."""
import datetime

from django.db import transaction
from django.utils import timezone

from families.models import Child
from portal.models import AuditLog

from ..conf import setting
from ..errors import EarlyChildhoodError
from ..models import PreEnrolment
from .commission import offer_release
from .events import event_add, family_email

FIELDS = ("child", "expected_birth_date", "expected_first_name", "wished_start", "schedule", "nursery_1",
          "nursery_2", "nursery_3", "monthly_resources", "dependent_children", "disabled_children")


def _check(data, *, family, today):
    child = data.get("child")
    if child is not None and child.family_id != family.pk:
        raise EarlyChildhoodError("Cet enfant n'appartient pas à votre dossier.")
    if child is None and not data.get("expected_birth_date"):
        raise EarlyChildhoodError("Choisissez un enfant ou indiquez la date de naissance prévue.")
    if child is not None:
        data["expected_birth_date"], data["expected_first_name"] = None, ""
    if data["wished_start"] < today:
        raise EarlyChildhoodError("La date d'entrée souhaitée est déjà passée.")
    if not data.get("schedule"):
        raise EarlyChildhoodError("Indiquez au moins un jour d'accueil souhaité avec ses horaires.")
    chosen = [n for n in (data.get("nursery_1"), data.get("nursery_2"), data.get("nursery_3")) if n is not None]
    if not chosen or data.get("nursery_1") is None:
        raise EarlyChildhoodError("Choisissez au moins une crèche (1er choix).")
    if len({n.pk for n in chosen}) != len(chosen):
        raise EarlyChildhoodError("Une même crèche ne peut être choisie qu'une fois.")


def pre_enrolment_save(*, family, user, data, criteria, pre=None, now=None):
    """File a new request (``pre`` None) or update a pending one. ``data`` holds ``FIELDS``."""
    now = now or timezone.now()
    data = dict(data)
    _check(data, family=family, today=timezone.localdate(now))
    with transaction.atomic():
        if pre is None:
            pre = PreEnrolment(family=family, created_at=now, confirmed_at=now, created_by=user)
            label = "Demande déposée"
        else:
            pre = PreEnrolment.objects.select_for_update().get(pk=pre.pk, family=family)
            if pre.status != PreEnrolment.Status.PENDING:
                raise EarlyChildhoodError("Cette demande ne peut plus être modifiée.")
            label = "Demande modifiée"
            pre.confirmed_at, pre.confirmation_asked_at = now, None  # an update confirms it too
        for field in FIELDS:
            setattr(pre, field, data.get(field))
        pre.expected_first_name = pre.expected_first_name or ""
        pre.save()
        pre.criteria.set(criteria)
        event_add(pre, label, by=user, now=now)
        if label == "Demande déposée":
            family_email(pre, "earlychildhood_request", {})
    return pre


def _open_for_update(pre, family):
    pre = PreEnrolment.objects.select_for_update().get(pk=pre.pk, family=family)
    if not pre.is_open:
        raise EarlyChildhoodError("Cette demande est close.")
    return pre


def pre_enrolment_confirm(*, pre, user, now=None):
    now = now or timezone.now()
    with transaction.atomic():
        pre = _open_for_update(pre, pre.family)
        pre.confirmed_at, pre.confirmation_asked_at = now, None
        pre.save(update_fields=["confirmed_at", "confirmation_asked_at"])
        event_add(pre, "Demande confirmée", by=user, now=now)
    return pre


def pre_enrolment_withdraw(*, pre, user, now=None):
    """The family withdraws its request; a waiting offer is declined with it."""
    now = now or timezone.now()
    with transaction.atomic():
        pre = _open_for_update(pre, pre.family)
        pre.status = PreEnrolment.Status.WITHDRAWN
        pre.save(update_fields=["status"])
        event_add(pre, "Demande retirée par la famille", by=user, now=now)
        offer_release(pre=pre, answer="declined", now=now)
    return pre


def pre_enrolment_birth(*, pre, user, first_name, last_name, birth_date, sex, now=None):
    """The expected child is born: create its child record in the family file and attach it to the
    request (and to its contract, if one was signed before the birth) — no new request."""
    now = now or timezone.now()
    if birth_date > timezone.localdate(now):
        raise EarlyChildhoodError("La date de naissance ne peut pas être dans le futur.")
    with transaction.atomic():
        pre = PreEnrolment.objects.select_for_update().get(pk=pre.pk, family=pre.family)
        if pre.child_id is not None:
            raise EarlyChildhoodError("L'enfant de cette demande est déjà enregistré.")
        if pre.status in (PreEnrolment.Status.WITHDRAWN, PreEnrolment.Status.LAPSED, PreEnrolment.Status.REFUSED):
            raise EarlyChildhoodError("Cette demande est close.")
        child = Child.objects.create(family=pre.family, first_name=first_name.strip(), last_name=last_name.strip(),
                                     birth_date=birth_date, sex=sex)
        pre.child = child
        pre.save(update_fields=["child"])
        pre.family.childcare_contracts.filter(child__isnull=True, decision__pre_enrolment=pre).update(
            child=child, child_name=str(child))
        event_add(pre, f"Naissance de {child.first_name} enregistrée le {birth_date:%d/%m/%Y}", by=user, now=now)
        AuditLog.objects.create(
            actor=user, family=pre.family, action="earlychildhood.birth",
            summary=f"Enfant {child} ajouté au dossier après sa naissance (préinscription en crèche)",
            new_values={"child": child.pk, "birth_date": birth_date.isoformat()},
        )
    return child


def confirmation_reminders(*, now=None):
    """Ask families to confirm pending requests not confirmed for ``EARLYCHILDHOOD_CONFIRM_EVERY_DAYS``;
    lapse, with notice, those still unconfirmed ``EARLYCHILDHOOD_CONFIRM_GRACE_DAYS`` after the reminder.
    Idempotent: a request is asked once per period and lapses once. Returns (asked, lapsed)."""
    now = now or timezone.now()
    every = datetime.timedelta(days=setting("EARLYCHILDHOOD_CONFIRM_EVERY_DAYS"))
    grace = datetime.timedelta(days=setting("EARLYCHILDHOOD_CONFIRM_GRACE_DAYS"))
    pending = PreEnrolment.objects.filter(status=PreEnrolment.Status.PENDING).select_related("family", "child")
    asked = lapsed = 0
    for pre in pending.filter(confirmed_at__lte=now - every, confirmation_asked_at__isnull=True):
        with transaction.atomic():
            if PreEnrolment.objects.filter(pk=pre.pk, confirmation_asked_at__isnull=True).update(confirmation_asked_at=now):
                pre.confirmation_asked_at = now
                event_add(pre, "Confirmation demandée par le service", now=now)
                family_email(pre, "earlychildhood_confirm", {"deadline": timezone.localdate(now + grace)})
                asked += 1
    for pre in pending.filter(confirmation_asked_at__lte=now - grace):
        with transaction.atomic():
            if PreEnrolment.objects.filter(pk=pre.pk, status=PreEnrolment.Status.PENDING,
                                           confirmation_asked_at__lte=now - grace).update(status=PreEnrolment.Status.LAPSED):
                pre.status = PreEnrolment.Status.LAPSED
                event_add(pre, "Demande caduque : non confirmée dans le délai", now=now)
                family_email(pre, "earlychildhood_lapsed", {"offer": False})
                lapsed += 1
    return asked, lapsed
