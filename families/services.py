"""Writes of the family file: invitations and change requests.

Every function takes keyword-only arguments, runs in one transaction and raises
``FamilyError`` with a French message when a rule refuses the operation.
"""
import datetime
import hashlib
import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from portal.errors import FamilyError
from portal.mail import email_queue
from portal.models import AuditLog, Organisation

from . import counters
from .models import (
    AuthorisedPerson, ChangeRequest, Child, ChildHealth, Family, Guardian, Invitation, QuotientRecord, Vaccination,
)
from .rules import vaccination_date_problem
from .services_quotient import quotient_record_create, quotient_record_validate

Kind = ChangeRequest.Kind
Status = ChangeRequest.Status

# The fields a parent may ask to change, per kind of request. A guardian's e-mail address is never
# among them: it is the login, only staff change it.
FAMILY_FIELDS = (
    "situation", "address_line1", "address_line2", "postcode", "city", "home_phone",
    "benefit_regime", "benefit_number", "allow_email", "allow_sms",
)
GUARDIAN_FIELDS = (
    "civility", "last_name", "first_name", "relationship", "mobile_phone", "work_phone",
    "profession", "employer", "employer_address",
    "same_address", "address_line1", "address_line2", "postcode", "city", "home_phone",
)
CHILD_FIELDS = ("first_name", "last_name", "birth_date", "sex", "school", "school_level", "image_rights")
NEW_CHILD_FIELDS = ("first_name", "last_name", "birth_date", "sex", "school", "school_level")
HEALTH_FIELDS = (
    "allergies", "food_allergens", "diet", "pai", "pai_details", "doctor_name", "doctor_phone", "glasses", "hearing_aid",
    "disability", "accommodations", "notes",
)
PERSON_FIELDS = ("last_name", "first_name", "relationship", "phone", "can_pick_up", "emergency_contact")
VACCINATION_FIELDS = ("vaccine", "date")

SPEC = {
    # kind: (model, editable fields, Organisation policy attribute or None = always validated by staff)
    Kind.FAMILY: (Family, FAMILY_FIELDS, "policy_family"),
    Kind.GUARDIAN: (Guardian, GUARDIAN_FIELDS, "policy_guardian"),
    Kind.CHILD: (Child, CHILD_FIELDS, "policy_child"),
    Kind.HEALTH: (ChildHealth, HEALTH_FIELDS, "policy_child"),
    Kind.AUTHORISED_PERSON: (AuthorisedPerson, PERSON_FIELDS, "policy_child"),
    # Vaccine dates are health data: the health sheet's policy.
    Kind.VACCINATION: (Vaccination, VACCINATION_FIELDS, "policy_child"),
    # Adding a child always waits for staff: the service checks the family before creating the file.
    Kind.NEW_CHILD: (Child, NEW_CHILD_FIELDS, None),
}
# The kinds of object a parent may ask to remove.
DELETABLE = (Kind.VACCINATION,)
# The kinds that concern one child's object (the child is given with the request).
CHILD_KINDS = (Kind.HEALTH, Kind.AUTHORISED_PERSON, Kind.VACCINATION)

EMAIL_NOT_CHANGEABLE = (
    "L'adresse e-mail d'un responsable est son identifiant de connexion : seul le service peut la modifier. "
    "Écrivez-lui pour la changer."
)


# --- Invitations ------------------------------------------------------------------------------------

def _token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_get(*, token):
    """The invitation of a token from a link, or None. Only the token's hash is stored."""
    if not token or len(token) > 200:
        return None
    return Invitation.objects.select_related("guardian__family", "guardian__user").filter(
        token_hash=_token_hash(token)
    ).first()


def _user_for_guardian(guardian, email):
    """Create or link the login of ``guardian`` (username = e-mail, lower-cased)."""
    User = get_user_model()
    user = guardian.user
    clash = User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email))
    if user is not None:
        if clash.exclude(pk=user.pk).exists():
            raise FamilyError(f"L'adresse {email} est déjà utilisée par un autre compte.")
        if user.email != email or user.username != email:
            user.email = user.username = email
            user.save(update_fields=["email", "username"])
        return user
    user = clash.first()
    if user is not None:
        if user.is_staff or Guardian.objects.filter(user=user).exists():
            raise FamilyError(f"L'adresse {email} est déjà utilisée par un autre compte.")
    else:
        user = User(username=email, email=email, first_name=guardian.first_name[:150], last_name=guardian.last_name[:150])
        user.set_unusable_password()
        user.save()
    guardian.user = user
    guardian.save(update_fields=["user", "updated_at"])
    return user


def invitation_send(*, guardian, by=None, now=None):
    """Give ``guardian`` a login (if needed) and e-mail a one-time link to choose a password.

    Earlier unused invitations of the guardian stop working. No password is ever e-mailed.
    """
    now = now or timezone.now()
    email = (guardian.email or "").strip().lower()
    if not email:
        raise FamilyError(f"{guardian} n'a pas d'adresse e-mail : impossible d'envoyer une invitation.")
    with transaction.atomic():
        guardian = Guardian.objects.select_for_update().select_related("family").get(pk=guardian.pk)
        if guardian.email != email:
            guardian.email = email
            guardian.save(update_fields=["email", "updated_at"])
        _user_for_guardian(guardian, email)
        Invitation.objects.filter(guardian=guardian, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        token = secrets.token_urlsafe(32)
        days = settings.INVITATION_VALIDITY_DAYS
        invitation = Invitation.objects.create(
            guardian=guardian, token_hash=_token_hash(token), expires_at=now + datetime.timedelta(days=days),
            created_by=by,
        )
        url = settings.PORTAL_BASE_URL + reverse("families:invitation", args=[token])
        email_queue(
            to=email, template="invitation", related=guardian,
            context={"guardian": guardian, "family": guardian.family, "url": url, "expires_at": invitation.expires_at,
                     "days": days, "login": email},
        )
        AuditLog.objects.create(
            actor=by, family=guardian.family, action="invitation.send",
            summary=f"Invitation envoyée à {guardian} ({email})"[:300], new_values={"email": email},
        )
    return invitation


def invitation_accept(*, invitation, password, now=None):
    """Set the password chosen through an invitation link and mark the link used. Returns the user."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().select_related("guardian__family").get(pk=invitation.pk)
        if not invitation.is_usable(now):
            raise FamilyError("Ce lien d'invitation a déjà été utilisé ou a expiré.")
        guardian = invitation.guardian
        user = guardian.user
        if user is None or not user.is_active:
            raise FamilyError("Ce compte n'est plus actif : contactez le service.")
        user.set_password(password)
        user.save(update_fields=["password"])
        invitation.used_at = now
        invitation.save(update_fields=["used_at"])
        Invitation.objects.filter(guardian=guardian, used_at__isnull=True).update(expires_at=now)
        AuditLog.objects.create(
            actor=user, family=guardian.family, action="invitation.accept",
            summary=f"Compte activé par {guardian}"[:300],
        )
    return user


# --- Change requests --------------------------------------------------------------------------------

def _serialise(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def display_value(field, value):
    """How a stored value reads for a parent or an agent."""
    if hasattr(field, "display"):  # a field that knows how it reads (families.allergens.AllergenSetField)
        return field.display(value)
    if value is None or value == "":
        return "(vide)"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if field.get_internal_type() == "DateField":
        return field.to_python(value).strftime("%d/%m/%Y")
    return str(value)


def _target(cr, *, lock):
    """The object a request changes, re-read (and locked) from the database; unsaved for a creation."""
    model = SPEC[cr.kind][0]
    qs = model.objects.select_for_update() if lock else model.objects.all()
    try:
        if cr.kind == Kind.FAMILY:
            return qs.get(pk=cr.family_id)
        if cr.kind in (Kind.GUARDIAN, Kind.CHILD):
            return qs.get(pk=cr.target_id, family_id=cr.family_id)
        if cr.kind == Kind.NEW_CHILD:
            return Child(family_id=cr.family_id)
        child = (Child.objects.select_for_update() if lock else Child.objects).get(pk=cr.child_id, family_id=cr.family_id)
        if cr.kind == Kind.HEALTH:
            return qs.filter(child=child).first() or ChildHealth(child=child)
        if cr.target_id:
            return qs.get(pk=cr.target_id, child=child)
        return model(child=child)
    except model.DoesNotExist:
        raise FamilyError("L'élément concerné par cette demande n'existe plus.") from None
    except Child.DoesNotExist:
        raise FamilyError("L'enfant concerné par cette demande n'existe plus.") from None


def _label(kind, obj):
    if kind == Kind.FAMILY:
        return f"Famille {obj.name}"
    if kind == Kind.GUARDIAN:
        return obj.full_name
    if kind == Kind.HEALTH:
        return f"Fiche sanitaire de {obj.child}"
    if kind == Kind.AUTHORISED_PERSON:
        return f"{obj} (enfant : {obj.child.first_name})" if obj.pk else f"Nouvelle personne pour {obj.child.first_name}"
    if kind == Kind.VACCINATION:
        return f"Vaccin {obj} (enfant : {obj.child.first_name})" if obj.pk else f"Nouveau vaccin pour {obj.child.first_name}"
    if kind == Kind.NEW_CHILD:
        return "Nouvel enfant"
    return str(obj)


def _apply(cr, obj):
    """Write the new values of ``cr`` on ``obj`` (locked, or new) and save it."""
    model = SPEC[cr.kind][0]
    if cr.deletion:
        obj.delete()
        return
    for name, change in cr.changes.items():
        setattr(obj, name, model._meta.get_field(name).to_python(change["new"]))
    if cr.kind == Kind.NEW_CHILD:
        if not obj.last_name:
            obj.last_name = cr.family.name
        obj.save()
        ChildHealth.objects.create(child=obj)
        cr.child = obj
        cr.target_id = obj.pk
        cr.target_label = str(obj)
    elif cr.kind in (Kind.AUTHORISED_PERSON, Kind.VACCINATION) and not obj.pk:
        obj.save()
        cr.target_id = obj.pk
    else:
        obj.save()


def change_request_create(*, family, user, kind, data, target=None, child=None, delete=False, now=None):
    """Record what a parent asks to change: only the fields whose value differs, with old and new values.

    ``target`` is the Guardian, Child, AuthorisedPerson or Vaccination changed (None for the family, a health
    sheet, a new child, person or vaccine); ``child`` is the child concerned (health sheet, authorised person,
    vaccine). ``delete`` asks to remove ``target`` (a vaccine): the request holds its values. When the
    organisation applies this kind of change directly, it is applied at once and the request is accepted.
    """
    now = now or timezone.now()
    kind = Kind(kind)
    model, fields, policy_attr = SPEC[kind]
    if delete and (kind not in DELETABLE or target is None):
        raise FamilyError("Cette information ne peut pas être supprimée depuis le portail : écrivez au service.")
    if "email" in data:
        raise FamilyError(EMAIL_NOT_CHANGEABLE)
    unknown = set(data) - set(fields)
    if unknown:
        raise FamilyError("Ces informations ne peuvent pas être modifiées depuis le portail : " + ", ".join(sorted(unknown)))
    if target is not None:
        child = getattr(target, "child", child)
    if kind in CHILD_KINDS and child is None:
        raise FamilyError("Indiquez l'enfant concerné.")
    if kind == Kind.CHILD:
        child = target
    cr = ChangeRequest(
        family=family, kind=kind, target_id=target.pk if target is not None else None,
        child=child, requested_by=user, requested_at=now, deletion=delete,
    )
    with transaction.atomic():
        current = _target(cr, lock=True)
        is_new = current.pk is None
        if kind == Kind.VACCINATION and not delete:
            day = model._meta.get_field("date").to_python(data.get("date", current.date))
            problem = vaccination_date_problem(day=day, birth_date=current.child.birth_date, today=timezone.localdate(now))
            if problem:
                raise FamilyError(problem)
            if not str(data.get("vaccine", current.vaccine) or "").strip():
                raise FamilyError("Indiquez le nom du vaccin.")
        changes = {}
        for name in fields:
            if delete:
                field = model._meta.get_field(name)
                old = _serialise(getattr(current, name))
                changes[name] = {"label": str(field.verbose_name), "old": old, "new": None,
                                 "old_display": display_value(field, old), "new_display": "(supprimé)"}
                continue
            if name not in data:
                continue
            field = model._meta.get_field(name)
            new = _serialise(field.to_python(data[name]))
            old = None if is_new and kind != Kind.HEALTH else _serialise(getattr(current, name))
            if is_new and new in ("", None, False) and old is None:
                continue
            if old != new:
                changes[name] = {
                    "label": str(field.verbose_name), "old": old, "new": new,
                    "old_display": "" if old is None else display_value(field, old), "new_display": display_value(field, new),
                }
        if not changes:
            raise FamilyError("Aucune modification : les valeurs saisies sont identiques aux valeurs actuelles.")
        cr.changes = changes
        cr.target_label = (("Suppression : " if delete else "") + _label(kind, current))[:200]
        policy = getattr(Organisation.current(), policy_attr) if policy_attr else Organisation.ChangePolicy.VALIDATE
        direct = policy == Organisation.ChangePolicy.DIRECT
        if direct:
            _apply(cr, current)
            cr.status = Status.ACCEPTED
            cr.decided_at = now
        cr.save()
        if direct:
            AuditLog.objects.create(
                actor=user, family=family, action="change_request.apply",
                summary=f"Modification appliquée directement : {cr}"[:300],
                old_values={k: v["old"] for k, v in changes.items()}, new_values={k: v["new"] for k, v in changes.items()},
            )
        else:  # a request applied at once never waits: only the others are counted
            counters.recount(["pending_change_requests"], [cr.family_id])  # last lock of the transaction
    return cr


def _notify(cr):
    """E-mail the decision to every guardian of the family who has an e-mail address."""
    for guardian in Guardian.objects.filter(family_id=cr.family_id).exclude(email=""):
        email_queue(
            to=guardian.email, template="change_request_decision", related=cr,
            context={"guardian": guardian, "change_request": cr, "changes": list(cr.changes.values())},
        )


def _lock_pending(request):
    cr = ChangeRequest.objects.select_for_update().select_related("family").get(pk=request.pk)
    if cr.status != Status.PENDING:
        raise FamilyError(f"La demande « {cr} » a déjà été traitée ({cr.get_status_display().lower()}).")
    return cr


def change_request_accept(*, request, by, now=None):
    """Apply a pending request in one transaction, audit it and tell the family."""
    now = now or timezone.now()
    with transaction.atomic():
        cr = _lock_pending(request)
        _apply(cr, _target(cr, lock=True))
        cr.status = Status.ACCEPTED
        cr.decided_by = by
        cr.decided_at = now
        cr.save()
        counters.recount(["pending_change_requests"], [cr.family_id])  # last lock of the transaction
        AuditLog.objects.create(
            actor=by, family=cr.family, action="change_request.accept", summary=f"Demande acceptée : {cr}"[:300],
            old_values={k: v["old"] for k, v in cr.changes.items()},
            new_values={k: v["new"] for k, v in cr.changes.items()},
        )
        _notify(cr)
    return cr


def change_request_refuse(*, request, by, reason, now=None):
    """Refuse a pending request with a reason; nothing of the family file changes."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise FamilyError("Indiquez le motif du refus : il est transmis à la famille.")
    with transaction.atomic():
        cr = _lock_pending(request)
        cr.status = Status.REFUSED
        cr.refusal_reason = reason
        cr.decided_by = by
        cr.decided_at = now
        cr.save()
        counters.recount(["pending_change_requests"], [cr.family_id])  # last lock of the transaction
        AuditLog.objects.create(
            actor=by, family=cr.family, action="change_request.refuse", summary=f"Demande refusée : {cr}"[:300],
            old_values={k: v["old"] for k, v in cr.changes.items()},
            new_values={"refusal_reason": reason},
        )
        _notify(cr)
    return cr


def guardian_login_sync(*, guardian, by=None):
    """After staff change a guardian's e-mail, make the login follow it (the e-mail is the username)."""
    user = guardian.user
    email = (guardian.email or "").strip().lower()
    if user is None or not email or (user.email == email and user.username == email):
        return
    User = get_user_model()
    with transaction.atomic():
        if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exclude(pk=user.pk).exists():
            raise FamilyError(f"L'adresse {email} est déjà utilisée par un autre compte.")
        old = user.email
        user.email = user.username = email
        user.save(update_fields=["email", "username"])
        AuditLog.objects.create(
            actor=by, family=guardian.family, action="guardian.login_change",
            summary=f"Identifiant de {guardian} modifié"[:300], old_values={"email": old}, new_values={"email": email},
        )


def staff_edit_audit(*, obj, family, by, old_values, new_values, created=False):
    """Audit a staff edit of the family file made in the admin (old and new values of the changed fields)."""
    verb = "créé" if created else "modifié"
    AuditLog.objects.create(
        actor=by, family=family, action="admin.create" if created else "admin.change",
        summary=f"{obj._meta.verbose_name.capitalize()} {verb} par le service : {obj}"[:300],
        old_values=old_values, new_values=new_values,
    )


def family_quotient_set(*, family, quotient, valid_from, valid_until=None, benefit_number="", by, reason,
                        source=None):
    """Staff set the family's quotient familial (e.g. on validating a yearly renewal): a validated entry of
    the quotient history from ``valid_from`` (until ``valid_until``, or the next value), audited with ``reason``.
    An empty ``benefit_number`` keeps the current one."""
    with transaction.atomic():
        record = quotient_record_create(
            family=family, value=quotient, source=source or QuotientRecord.Source.STAFF, valid_from=valid_from,
            valid_to=valid_until, benefit_number=benefit_number or family.benefit_number, by=by,
        )
        quotient_record_validate(record=record, by=by, audit_action="quotient_update",
                                 audit_summary=f"Quotient familial mis à jour {reason}")
        family = Family.objects.get(pk=family.pk)
        if benefit_number and benefit_number != family.benefit_number:
            family.benefit_number = benefit_number
            family.save(update_fields=["benefit_number", "updated_at"])
    return family
