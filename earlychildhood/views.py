"""Parent pages of « Petite enfance »: pre-enrolment requests, offers of a place, contracts and their
months. Every id in a URL is scoped to the logged-in family (families.access)."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from documents.selectors import documents_status
from families.access import parent_required, scoped_get
from portal.errors import DomainError

from . import selectors
from .forms import BirthForm, PreEnrolmentForm
from .models import WEEKDAYS, ChildcareContract, CommissionSession, Criterion, Decision, Nursery, PreEnrolment
from .services import commission, contracts, requests


def _nurseries():
    return Nursery.objects.filter(is_active=True).select_related("structure")


def _criteria():
    return Criterion.objects.filter(is_active=True).select_related("proof_type")


def schedule_rows(schedule):
    return [(WEEKDAYS[int(k)], v[0], v[1]) for k, v in sorted(schedule.items()) if int(k) < len(WEEKDAYS)]


@parent_required
def index(request):
    pres = selectors.family_pre_enrolments(family=request.family)
    for pre in pres:
        pre.days = schedule_rows(pre.schedule)
        pre.offer = next((d for d in pre.decisions.all() if d.kind == Decision.Kind.OFFER and not d.answer
                          and pre.status == PreEnrolment.Status.OFFERED), None)
    proofs = {row["type"].pk: row for row in documents_status(family=request.family)}
    for pre in pres:
        pre.proofs = [(c, proofs.get(c.proof_type_id)) for c in pre.criteria.all() if c.proof_type_id]
    return render(request, "earlychildhood/index.html", {
        "pres": pres, "contracts": selectors.family_contracts(family=request.family),
    })


def _form(request, pre=None):
    kwargs = {"family": request.family, "nurseries": _nurseries(), "criteria": _criteria()}
    if request.method == "POST":
        return PreEnrolmentForm(request.POST, **kwargs)
    return PreEnrolmentForm(initial=PreEnrolmentForm.initial_from(pre) if pre else None, **kwargs)


@parent_required
def request_form(request, pre_id=None):
    pre = None
    if pre_id is not None:
        pre = scoped_get(PreEnrolment.objects.all(), user=request.user, pk=pre_id)
        if pre.status != PreEnrolment.Status.PENDING:
            messages.error(request, "Cette demande ne peut plus être modifiée.")
            return redirect("earlychildhood:index")
    form = _form(request, pre)
    if request.method == "POST" and form.is_valid():
        data = {k: form.cleaned_data.get(k) for k in requests.FIELDS}
        try:
            requests.pre_enrolment_save(family=request.family, user=request.user, data=data,
                                        criteria=form.cleaned_data["criteria"], pre=pre)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Votre demande de place en crèche est enregistrée." if pre is None
                             else "Votre demande est modifiée.")
            return redirect("earlychildhood:index")
    return render(request, "earlychildhood/request.html", {
        "form": form, "pre": pre,
    }, status=400 if form.errors else 200)


def _pre_action(request, pre_id, action, done):
    pre = scoped_get(PreEnrolment.objects.select_related("family"), user=request.user, pk=pre_id)
    try:
        action(pre=pre, user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("earlychildhood:index")


@require_POST
@parent_required
def confirm(request, pre_id):
    return _pre_action(request, pre_id, requests.pre_enrolment_confirm, "Votre demande est confirmée.")


@require_POST
@parent_required
def withdraw(request, pre_id):
    return _pre_action(request, pre_id, requests.pre_enrolment_withdraw, "Votre demande est retirée.")


@parent_required
def birth(request, pre_id):
    pre = scoped_get(PreEnrolment.objects.select_related("family"), user=request.user, pk=pre_id,
                     child__isnull=True)
    form = BirthForm(request.POST or None, initial={"first_name": pre.expected_first_name,
                                                    "last_name": request.family.name})
    if request.method == "POST" and form.is_valid():
        try:
            child = requests.pre_enrolment_birth(pre=pre, user=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{child.first_name} est enregistré(e) dans votre dossier. Félicitations !")
            return redirect("earlychildhood:index")
    return render(request, "earlychildhood/birth.html", {"form": form, "pre": pre}, status=400 if form.errors else 200)


@parent_required
def offer(request, decision_id):
    decision = scoped_get(
        Decision.objects.filter(kind=Decision.Kind.OFFER, session__status=CommissionSession.Status.HELD)
        .select_related("session", "pre_enrolment__child", "places__section__nursery__structure"),
        user=request.user, pk=decision_id)
    if request.method == "POST":
        accept = request.POST.get("answer") == "accept"
        try:
            contract = commission.offer_answer(decision=decision, accept=accept, user=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("earlychildhood:offer", decision_id=decision.pk)
        if contract is not None:
            messages.success(request, "Place acceptée : votre contrat d'accueil est établi.")
            return redirect("earlychildhood:contract", contract_id=contract.pk)
        messages.success(request, "Vous avez décliné la place proposée.")
        return redirect("earlychildhood:index")
    pre = decision.pre_enrolment
    try:
        estimate = contracts.rate_compute(resources=pre.monthly_resources, dependent_children=pre.dependent_children,
                                          disabled_children=pre.disabled_children, day=decision.places.start_date)
    except DomainError:
        estimate = None
    return render(request, "earlychildhood/offer.html", {
        "decision": decision, "days": schedule_rows(decision.schedule), "estimate": estimate,
        "waiting": not decision.answer and timezone.localdate() <= decision.offer_expires_on,
    })


@parent_required
def contract(request, contract_id):
    item = scoped_get(ChildcareContract.objects.select_related("nursery__structure", "section"),
                      user=request.user, pk=contract_id)
    return render(request, "earlychildhood/contract.html", {
        "contract": item, "days": schedule_rows(item.schedule), "explanation": contracts.contract_explanation(item),
        "statements": selectors.contract_statements(contract=item),
        "invoices_url": reverse("billing:index"),
    })
