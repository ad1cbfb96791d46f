"""Parent pages of the identity app: FranceConnect in « Mon compte », the request of a new family, and the page
FranceConnect returns to after logout. Thin: forms validate, services write, domain errors are shown."""
from allauth.account.models import EmailAddress
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from families.models import Guardian
from portal.errors import IdentityError

from . import services
from .adapters import LOGOUT_STATE_SALT
from .forms import CHILD_ROWS, ChildForm, FamilyForm, GuardianForm, MessageForm, serialise
from .models import PendingLink, RegistrationRequest


def _has_guardian(user):
    return Guardian.objects.filter(user=user).exists()


@login_required
def account(request):
    """« Mon compte › FranceConnect »: link, see a link waiting for staff, unlink."""
    context = {
        "linked": services.franceconnect_account(request.user),
        "pending": PendingLink.objects.filter(user=request.user, status=PendingLink.Status.PENDING).first(),
        "can_link": _has_guardian(request.user),
    }
    return render(request, "identity/account.html", context)


@login_required
@require_POST
def unlink(request):
    try:
        services.franceconnect_unlink(user=request.user)
    except IdentityError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, "FranceConnect n'est plus lié à votre compte. Connectez-vous désormais avec votre "
                                  "e-mail et votre mot de passe.")
    return redirect("identity:account")


def _forms(data=None, initial=None):
    initial = initial or {}
    guardians = initial.get("guardians") or []
    children = initial.get("children") or []
    family_form = FamilyForm(data, initial=initial, prefix="famille")
    guardian_forms = [
        GuardianForm(data, initial=guardians[0] if guardians else {}, prefix="responsable1"),
        GuardianForm(data, initial=guardians[1] if len(guardians) > 1 else {}, prefix="responsable2", optional=True),
    ]
    child_forms = [ChildForm(data, initial=children[i] if i < len(children) else {}, prefix=f"enfant{i + 1}")
                   for i in range(CHILD_ROWS)]
    return family_form, guardian_forms, child_forms


@login_required
def registration(request):
    """The family file of a new account: typed and sent, then read-only with messages until staff decide."""
    if _has_guardian(request.user):
        return redirect("home")
    reg = RegistrationRequest.objects.filter(user=request.user).first()
    if reg is None:
        return render(request, "identity/registration_none.html", status=404)
    if reg.status in (RegistrationRequest.Status.ACCEPTED, RegistrationRequest.Status.MERGED):
        return redirect("home")
    email_verified = EmailAddress.objects.filter(user=request.user, verified=True).exists()
    if reg.status == RegistrationRequest.Status.DRAFT:
        family_form, guardian_forms, child_forms = _forms(request.POST if request.method == "POST" else None,
                                                          initial=reg.data)
        if request.method == "POST":
            valid = all(f.is_valid() for f in [family_form, *guardian_forms, *child_forms])
            children = [f for f in child_forms if f.is_valid() and not f.is_empty()]
            if valid and not children:
                messages.error(request, "Indiquez au moins un enfant.")
                valid = False
            if valid:
                submit = "envoyer" in request.POST
                try:
                    services.registration_save(request=reg, data=serialise(family_form, guardian_forms, child_forms))
                    if submit:
                        services.registration_submit(request=reg, email_verified=email_verified)
                except IdentityError as e:
                    messages.error(request, e.message)
                else:
                    messages.success(request, "Votre demande est envoyée au service. Vous serez prévenu(e) par e-mail."
                                     if submit else "Votre saisie est enregistrée.")
                    return redirect("identity:registration")
        return render(request, "identity/registration_form.html", {
            "reg": reg, "family_form": family_form, "guardian_forms": guardian_forms, "child_forms": child_forms,
            "email_verified": email_verified,
        })
    return render(request, "identity/registration_detail.html", {
        "reg": reg, "message_form": MessageForm(), "conversation": reg.messages.all()[:200],
    })


@login_required
@require_POST
def registration_message(request):
    reg = RegistrationRequest.objects.filter(user=request.user).first()
    if reg is None or _has_guardian(request.user):
        return redirect("home")
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Écrivez votre message (5 000 caractères au plus) avant de l'envoyer.")
        return redirect("identity:registration")
    try:
        services.registration_message(request=reg, author=request.user, body=form.cleaned_data["body"])
    except IdentityError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, "Votre message est envoyé au service.")
    return redirect("identity:registration")


@require_GET
def franceconnect_logged_out(request):
    """Where FranceConnect returns after its end-session endpoint: the state we signed at logout is checked."""
    try:
        signing.loads(request.GET.get("state", ""), salt=LOGOUT_STATE_SALT, max_age=600)
        confirmed = True
    except signing.BadSignature:
        confirmed = False
    return render(request, "identity/logged_out.html", {"confirmed": confirmed})
