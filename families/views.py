"""Parent pages of the family file: Mon dossier, Mes enfants, Mes demandes, change requests, invitations.

Thin views: objects from an id go through ``families.access`` (another family's id answers 404),
forms validate, services write, only ``FamilyError`` is caught.
"""
import copy

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from portal.templatetags.portal_text import de
from portal.errors import FamilyError
from portal.models import Organisation

from . import selectors, services
from .access import child_get_for_user, guardian_get_for_user, parent_required, scoped_get
from .forms import (
    AuthorisedPersonForm,
    ChildChangeForm,
    FamilyChangeForm,
    GuardianChangeForm,
    HealthChangeForm,
    NewChildForm,
    RequestFilterForm,
    VaccinationForm,
)
from .models import AuthorisedPerson, ChangeRequest, ChildHealth, Vaccination
from .request_sources import SECTIONS

Kind = ChangeRequest.Kind


@parent_required
def dossier(request):
    context = selectors.family_dossier(family=request.family)
    return render(request, "families/dossier.html", context)


@parent_required
def children(request):
    sheets = selectors.family_children_sheets(family=request.family)
    pending_by_child, new_children = selectors.children_pending_requests(family=request.family)
    for child in sheets:
        child.pending_requests = pending_by_child.get(child.pk, [])
    return render(request, "families/children.html", {"children": sheets, "new_children": new_children})


@parent_required
def requests(request):
    form = RequestFilterForm(request.GET or None)
    kind = form.cleaned_data["type"] if form.is_valid() else ""
    by_section = selectors.family_requests(family=request.family, kind=kind or None)
    sections = [(key, SECTIONS[key], items) for key, items in by_section.items()]
    return render(request, "families/requests.html", {
        "sections": sections, "any": any(items for _, _, items in sections), "filter_form": form, "kind": kind,
        # (group label or None, [(value, label)]): the select's optgroups « Mon dossier », « Mes enfants ».
        "choices": [(first, list(second)) if isinstance(second, (list, tuple)) else (None, [(first, second)])
                    for first, second in form.fields["type"].choices],
    })


def _is_direct(kind):
    policy_attr = services.SPEC[kind][2]
    return bool(policy_attr) and getattr(Organisation.current(), policy_attr) == Organisation.ChangePolicy.DIRECT


def _change(request, *, kind, form_class, instance, title, back, target=None, child=None, extra=None, form_kwargs=None):
    """Show a form prefilled with the current values; on submit, record (or apply) what changed."""
    direct = _is_direct(kind)
    form_kwargs = form_kwargs or {}
    if request.method == "POST":
        form = form_class(request.POST, instance=copy.copy(instance), **form_kwargs)
        if form.is_valid():
            data = {name: form.cleaned_data[name] for name in form_class.Meta.fields}
            try:
                cr = services.change_request_create(
                    family=request.family, user=request.user, kind=kind, data=data, target=target, child=child,
                )
            except FamilyError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, CHANGE_MESSAGES[cr.status == ChangeRequest.Status.ACCEPTED])
                return redirect(back)
    else:
        form = form_class(instance=copy.copy(instance), **form_kwargs)
    context = {"form": form, "title": title, "back": back, "direct": direct, "kind": kind, **(extra or {})}
    return render(request, "families/change_form.html", context)


# What a parent reads after a change: applied at once (True), or sent to the service for validation (False).
CHANGE_MESSAGES = {
    True: "Vos modifications sont enregistrées.",
    False: "Votre demande a été transmise au service. Vous serez prévenu(e) par e-mail de sa validation ; "
           "vous pouvez la suivre dans « Mes demandes ».",
}


@parent_required
def family_edit(request):
    return _change(
        request, kind=Kind.FAMILY, form_class=FamilyChangeForm, instance=request.family,
        title="Modifier les informations du foyer", back=reverse("families:dossier"),
    )


@parent_required
def guardian_edit(request, guardian_id):
    guardian = guardian_get_for_user(guardian_id=guardian_id, user=request.user)
    return _change(
        request, kind=Kind.GUARDIAN, form_class=GuardianChangeForm, instance=guardian, target=guardian,
        title=f"Modifier les coordonnées de {guardian.full_name}", back=reverse("families:dossier"),
        extra={"guardian": guardian},
    )


@parent_required
def child_add(request):
    return _change(
        request, kind=Kind.NEW_CHILD, form_class=NewChildForm, instance=None,
        title="Demander l'ajout d'un enfant", back=reverse("families:children"),
    )


@parent_required
def child_edit(request, child_id):
    child = child_get_for_user(child_id=child_id, user=request.user)
    return _change(
        request, kind=Kind.CHILD, form_class=ChildChangeForm, instance=child, target=child,
        title=f"Modifier la fiche {de(child.first_name)}", back=reverse("families:children") + f"#enfant-{child.pk}",
    )


@parent_required
def health_edit(request, child_id):
    child = child_get_for_user(child_id=child_id, user=request.user)
    health = ChildHealth.objects.filter(child=child).first() or ChildHealth(child=child)
    return _change(
        request, kind=Kind.HEALTH, form_class=HealthChangeForm, instance=health, child=child,
        title=f"Modifier la fiche sanitaire {de(child.first_name)}",
        back=reverse("families:children") + f"#enfant-{child.pk}",
    )


@parent_required
def person_add(request, child_id):
    child = child_get_for_user(child_id=child_id, user=request.user)
    return _change(
        request, kind=Kind.AUTHORISED_PERSON, form_class=AuthorisedPersonForm, instance=None, child=child,
        title=f"Ajouter une personne autorisée ou à prévenir pour {child.first_name}",
        back=reverse("families:children") + f"#enfant-{child.pk}",
    )


@parent_required
def person_edit(request, child_id, person_id):
    person = scoped_get(
        AuthorisedPerson.objects.select_related("child"), user=request.user, pk=person_id, child_id=child_id,
        child__is_active=True,
    )
    return _change(
        request, kind=Kind.AUTHORISED_PERSON, form_class=AuthorisedPersonForm, instance=person, target=person,
        child=person.child, title=f"Modifier {person} (enfant : {person.child.first_name})",
        back=reverse("families:children") + f"#enfant-{person.child_id}",
    )


def _vaccination_get(request, child_id, vaccination_id):
    return scoped_get(
        Vaccination.objects.select_related("child"), user=request.user, pk=vaccination_id, child_id=child_id,
        child__is_active=True,
    )


@parent_required
def vaccination_add(request, child_id):
    child = child_get_for_user(child_id=child_id, user=request.user)
    return _change(
        request, kind=Kind.VACCINATION, form_class=VaccinationForm, instance=Vaccination(child=child), child=child,
        title=f"Ajouter un vaccin pour {child.first_name}", form_kwargs={"child": child},
        back=reverse("families:children") + f"#enfant-{child.pk}",
    )


@parent_required
def vaccination_edit(request, child_id, vaccination_id):
    vaccination = _vaccination_get(request, child_id, vaccination_id)
    child = vaccination.child
    return _change(
        request, kind=Kind.VACCINATION, form_class=VaccinationForm, instance=vaccination, target=vaccination,
        child=child, title=f"Modifier le vaccin {vaccination.vaccine} {de(child.first_name)}",
        form_kwargs={"child": child}, back=reverse("families:children") + f"#enfant-{child.pk}",
    )


@parent_required
def vaccination_delete(request, child_id, vaccination_id):
    """Ask to remove a vaccine entered by mistake: a confirmation, then a request (or the removal)."""
    vaccination = _vaccination_get(request, child_id, vaccination_id)
    child = vaccination.child
    back = reverse("families:children") + f"#enfant-{child.pk}"
    error = None
    if request.method == "POST":
        try:
            cr = services.change_request_create(
                family=request.family, user=request.user, kind=Kind.VACCINATION, data={}, target=vaccination,
                child=child, delete=True,
            )
        except FamilyError as exc:
            error = exc.message
        else:
            messages.success(request, CHANGE_MESSAGES[cr.status == ChangeRequest.Status.ACCEPTED])
            return redirect(back)
    return render(request, "families/vaccination_delete.html", {
        "vaccination": vaccination, "child": child, "back": back, "direct": _is_direct(Kind.VACCINATION),
        "error": error, "title": f"Supprimer le vaccin {vaccination.vaccine} {de(child.first_name)}",
    })


@never_cache
@sensitive_post_parameters("new_password1", "new_password2")
def invitation(request, token):
    """A guardian follows the link of an invitation e-mail and chooses a password."""
    invitation = services.invitation_get(token=token)
    if invitation is None:
        return render(request, "families/invitation_invalid.html", {"reason": "unknown"}, status=404)
    user = invitation.guardian.user
    if not invitation.is_usable() or user is None:
        reason = "used" if invitation.used_at else "expired"
        return render(request, "families/invitation_invalid.html", {"reason": reason}, status=410)
    form = SetPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(invitation=invitation, password=form.cleaned_data["new_password1"])
        except FamilyError as exc:
            return render(request, "families/invitation_invalid.html", {"reason": "used", "message": exc.message}, status=410)
        login(request, user, backend="families.auth.ParentBackend")
        messages.success(request, "Votre mot de passe est enregistré : bienvenue sur le Portail Familles.")
        return redirect("home")
    return render(request, "families/invitation.html", {"form": form, "guardian": invitation.guardian, "invitation": invitation})
