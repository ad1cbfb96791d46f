"""Writes of the identity app: FranceConnect links and the requests of families who sign up themselves."""
import datetime

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from families.models import Child, Family, Guardian
from portal.errors import IdentityError
from portal.mail import email_record
from portal.models import AuditLog, Organisation

from . import rules
from .franceconnect.provider import PROVIDER_ID
from .models import IdentitySettings, PendingLink, RegistrationMessage, RegistrationRequest

# --- FranceConnect links ---------------------------------------------------------------------------------


def franceconnect_account(user):
    return SocialAccount.objects.filter(user=user, provider=PROVIDER_ID).first()


def link_check(*, user, uid, claims, now=None):
    """Called before allauth links FranceConnect to a logged-in parent's account.

    Returns when the identity matches the guardian's file (allauth then saves the link). Otherwise raises
    ``IdentityError`` with the reasons: nothing is linked; under the "confirmed by staff" policy a link waiting
    for staff is recorded and the message says so."""
    try:
        guardian = user.guardian
    except Guardian.DoesNotExist:
        raise IdentityError("Seul un parent dont le dossier est validé peut lier FranceConnect à son compte.") from None
    if SocialAccount.objects.filter(provider=PROVIDER_ID, uid=uid).exclude(user=user).exists():
        raise IdentityError("Cette identité FranceConnect est déjà liée à un autre compte du portail.")
    differences = rules.identity_differences(
        given_name=claims.get("given_name", ""), family_name=claims.get("family_name", ""),
        birthdate=claims.get("birthdate", ""), guardian_first_name=guardian.first_name,
        guardian_last_name=guardian.last_name, guardian_birth_date=guardian.birth_date,
    )
    if not differences:
        return
    reasons = " ; ".join(differences)
    if IdentitySettings.current().link_policy == IdentitySettings.LinkPolicy.STAFF:
        PendingLink.objects.filter(user=user, status=PendingLink.Status.PENDING).delete()
        PendingLink.objects.create(
            user=user, uid=uid, given_name=claims.get("given_name", "")[:200],
            family_name=claims.get("family_name", "")[:200], birthdate=claims.get("birthdate", "")[:10],
            claims=claims, differences=reasons, created_at=now or timezone.now(),
        )
        raise IdentityError(
            f"L'identité FranceConnect ne correspond pas exactement à votre dossier ({reasons}). Rien n'est lié pour "
            "l'instant : le service va vérifier et confirmer la liaison."
        )
    raise IdentityError(
        f"FranceConnect n'a pas été lié : l'identité reçue ne correspond pas à votre dossier ({reasons}). "
        "Si votre dossier contient une erreur, écrivez au service."
    )


@transaction.atomic
def pending_link_approve(*, link, by, now=None):
    link = PendingLink.objects.select_for_update().get(pk=link.pk)
    if link.status != PendingLink.Status.PENDING:
        raise IdentityError("Cette liaison a déjà été traitée.")
    if SocialAccount.objects.filter(provider=PROVIDER_ID, uid=link.uid).exists():
        raise IdentityError("Cette identité FranceConnect est déjà liée à un compte.")
    if franceconnect_account(link.user):
        raise IdentityError("Ce compte est déjà lié à une autre identité FranceConnect.")
    SocialAccount.objects.create(user=link.user, provider=PROVIDER_ID, uid=link.uid,
                                 extra_data={"userinfo": link.claims})
    link.status, link.decided_by, link.decided_at = PendingLink.Status.APPROVED, by, now or timezone.now()
    link.save(update_fields=["status", "decided_by", "decided_at"])
    guardian = Guardian.objects.filter(user=link.user).select_related("family").first()
    AuditLog.objects.create(actor=by, family=guardian.family if guardian else None, action="franceconnect.link",
                            summary=f"Liaison FranceConnect confirmée par le service malgré : {link.differences}"[:300])


@transaction.atomic
def pending_link_refuse(*, link, by, now=None):
    updated = PendingLink.objects.filter(pk=link.pk, status=PendingLink.Status.PENDING).update(
        status=PendingLink.Status.REFUSED, decided_by=by, decided_at=now or timezone.now())
    if not updated:
        raise IdentityError("Cette liaison a déjà été traitée.")


@transaction.atomic
def franceconnect_unlink(*, user):
    account = franceconnect_account(user)
    if account is None:
        raise IdentityError("Votre compte n'est pas lié à FranceConnect.")
    if not user.has_usable_password():
        raise IdentityError(
            "Vous vous connectez uniquement avec FranceConnect : choisissez d'abord un mot de passe "
            "(« Mot de passe oublié ? » sur la page de connexion), sinon vous ne pourriez plus vous connecter."
        )
    account.delete()
    guardian = Guardian.objects.filter(user=user).select_related("family").first()
    AuditLog.objects.create(actor=user, family=guardian.family if guardian else None, action="franceconnect.unlink",
                            summary="FranceConnect délié du compte par le parent")


# --- Families who sign up themselves -----------------------------------------------------------------------


def registration_open():
    return IdentitySettings.current().self_registration


def registration_start(*, user, identity=None):
    """The (draft) request of a new account; with FranceConnect, guardian 1 is pre-filled from its identity."""
    request, _ = RegistrationRequest.objects.get_or_create(user=user)
    if identity:
        born = rules.parse_birthdate(identity.get("birthdate"))
        request.identity = identity
        request.data = {**request.data, "guardians": [{
            "civility": {"female": "Mme", "male": "M."}.get(identity.get("gender"), ""),
            "first_name": (identity.get("given_name") or "").split(" ")[0],
            "last_name": identity.get("family_name", ""), "birth_date": born.isoformat() if born else "",
            "email": user.email,
        }]}
        request.save(update_fields=["identity", "data", "updated_at"])
    return request


def _lock_open(request):
    locked = RegistrationRequest.objects.select_for_update().get(pk=request.pk)
    if not locked.is_open:
        raise IdentityError("Cette demande a déjà été traitée par le service.")
    return locked


@transaction.atomic
def registration_save(*, request, data):
    """Save the family file typed by the parent (a draft until sent)."""
    request = _lock_open(request)
    if request.status == RegistrationRequest.Status.SUBMITTED:
        raise IdentityError("Votre demande est déjà envoyée : pour la corriger, écrivez au service ci-dessous.")
    request.data = data
    request.save(update_fields=["data", "updated_at"])
    return request


@transaction.atomic
def registration_submit(*, request, email_verified, now=None):
    """Send the saved file to the service; the account's e-mail must be confirmed first."""
    request = _lock_open(request)
    if request.status != RegistrationRequest.Status.DRAFT:
        raise IdentityError("Votre demande est déjà envoyée.")
    if not email_verified:
        raise IdentityError(
            "Confirmez d'abord votre adresse e-mail : cliquez sur le lien que nous vous avons envoyé. "
            "Votre saisie est enregistrée."
        )
    request.status, request.submitted_at = RegistrationRequest.Status.SUBMITTED, now or timezone.now()
    request.save(update_fields=["status", "submitted_at", "updated_at"])
    return request


@transaction.atomic
def registration_message(*, request, author, body, from_staff=False, now=None):
    body = (body or "").strip()
    if not body:
        raise IdentityError("Écrivez votre message avant de l'envoyer.")
    if len(body) > 5000:
        raise IdentityError("Votre message est trop long (5 000 caractères au plus).")
    request = RegistrationRequest.objects.select_for_update().get(pk=request.pk)
    if request.status == RegistrationRequest.Status.DRAFT and not from_staff:
        raise IdentityError("Envoyez d'abord votre demande : vous pourrez ensuite écrire au service.")
    return RegistrationMessage.objects.create(request=request, author=author, body=body, from_staff=from_staff,
                                              created_at=now or timezone.now())


def _date(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _add_children(family, children):
    existing = {(rules.normalise_name(c.first_name), c.birth_date) for c in family.children.all()}
    added = 0
    for child in children:
        born = _date(child.get("birth_date"))
        if born is None or (rules.normalise_name(child.get("first_name", "")), born) in existing:
            continue
        Child.objects.create(family=family, first_name=child["first_name"][:100],
                             last_name=(child.get("last_name") or family.name)[:100], birth_date=born,
                             sex=child.get("sex") or "F")
        added += 1
    return added


def _guardian_fields(data):
    return {
        "civility": data.get("civility") or Guardian.Civility.MRS, "first_name": data.get("first_name", "")[:100],
        "last_name": data.get("last_name", "").upper()[:100], "birth_date": _date(data.get("birth_date")),
        "relationship": data.get("relationship") or Guardian.Relationship.OTHER,
        "mobile_phone": data.get("mobile_phone", "")[:30], "email": data.get("email", "")[:254],
    }


def _notify(request, subject, body):
    org = Organisation.current()
    email_record(to=request.user.email, subject=f"[Portail Familles] {subject}",
                 body_text=f"Bonjour,\n\n{body}\n\n{settings.PORTAL_BASE_URL}/\n\n{org.name}",
                 template="identity_registration", related=request)


@transaction.atomic
def registration_accept(*, request, by, now=None):
    """A new family from the request: guardian 1 is the account, guardian 2 and the children as typed."""
    request = _lock_open(request)
    if request.status != RegistrationRequest.Status.SUBMITTED:
        raise IdentityError("La demande n'a pas encore été envoyée par la famille.")
    if Guardian.objects.filter(user=request.user).exists():
        raise IdentityError("Ce compte est déjà rattaché à une famille.")
    data = request.data
    guardians = data.get("guardians") or []
    if not guardians:
        raise IdentityError("La demande ne contient aucun responsable.")
    family = Family.objects.create(
        name=guardians[0].get("last_name", "").upper()[:150], situation=data.get("situation", ""),
        address_line1=data.get("address_line1", "")[:250], address_line2=data.get("address_line2", "")[:250],
        postcode=data.get("postcode", "")[:10], city=data.get("city", "")[:100],
        benefit_regime=data.get("benefit_regime") or Family.BenefitRegime.CAF,
        benefit_number=data.get("benefit_number", "")[:30],
    )
    for rank, fields in enumerate(guardians[:2], start=1):
        Guardian.objects.create(family=family, rank=rank, user=request.user if rank == 1 else None,
                                **_guardian_fields(fields))
    _add_children(family, data.get("children") or [])
    _decide(request, RegistrationRequest.Status.ACCEPTED, by=by, family=family, now=now)
    AuditLog.objects.create(actor=by, family=family, action="registration.accept",
                            summary=f"Dossier créé par la famille, accepté par le service (famille {family.number})")
    _notify(request, "Votre dossier est validé",
            "Le service a validé votre dossier famille : vous pouvez maintenant inscrire vos enfants et réserver.")
    return family


@transaction.atomic
def registration_merge(*, request, family, by, now=None):
    """The request joins an existing family (no duplicate): the account becomes the guardian of the file with the
    same first and last name, or its second guardian; children not in the file yet are added."""
    request = _lock_open(request)
    if Guardian.objects.filter(user=request.user).exists():
        raise IdentityError("Ce compte est déjà rattaché à une famille.")
    family = Family.objects.select_for_update().get(pk=family.pk)
    typed = (request.data.get("guardians") or [{}])[0]
    key = (rules.normalise_name(typed.get("first_name", "")), rules.normalise_name(typed.get("last_name", "")))
    guardians = list(family.guardians.order_by("rank"))
    same = [g for g in guardians if (rules.normalise_name(g.first_name), rules.normalise_name(g.last_name)) == key]
    if same:
        guardian = same[0]
        if guardian.user_id:
            raise IdentityError(f"{guardian.first_name} {guardian.last_name} a déjà un compte dans cette famille.")
        guardian.user = request.user
        if guardian.birth_date is None:
            guardian.birth_date = _date(typed.get("birth_date"))
        guardian.save(update_fields=["user", "birth_date", "updated_at"])
    else:
        if len(guardians) >= 2:
            raise IdentityError("Cette famille a déjà deux responsables et aucun ne porte le nom de la demande.")
        Guardian.objects.create(family=family, rank=2 if guardians else 1, user=request.user, **_guardian_fields(typed))
    added = _add_children(family, request.data.get("children") or [])
    _decide(request, RegistrationRequest.Status.MERGED, by=by, family=family, now=now)
    AuditLog.objects.create(actor=by, family=family, action="registration.merge",
                            summary=f"Compte créé par un parent rattaché à la famille ({added} enfant(s) ajouté(s))")
    _notify(request, "Votre dossier est validé",
            "Le service a rattaché votre compte au dossier de votre famille : vous pouvez maintenant réserver.")
    return family


@transaction.atomic
def registration_refuse(*, request, by, reason, now=None):
    reason = (reason or "").strip()
    if not reason:
        raise IdentityError("Indiquez le motif du refus : la famille le verra.")
    request = _lock_open(request)
    request.refusal_reason = reason
    _decide(request, RegistrationRequest.Status.REFUSED, by=by, family=None, now=now)
    _notify(request, "Votre demande de dossier", f"Le service n'a pas pu valider votre demande : {reason}")


def _decide(request, status, *, by, family, now):
    request.status, request.decided_by, request.decided_at = status, by, now or timezone.now()
    request.family = family
    request.save(update_fields=["status", "decided_by", "decided_at", "family", "refusal_reason", "updated_at"])
