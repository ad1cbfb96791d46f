"""Parent pages of the quotient familial: fetch it from the CAF/MSA (API Particulier) with consent,
see the answer, or send the certificate. Thin: forms validate, services write, only domain errors are caught."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from families.access import parent_required, scoped_get
from families.models import QuotientRecord
from portal.errors import FamilyError
from portal.models import Organisation

from . import quotient_services
from .quotient_forms import QuotientFetchForm, QuotientProofForm

# Set by the FranceConnect login (identity app) when the parent came through FranceConnect.
FRANCE_CONNECT_TOKEN_KEY = "franceconnect_access_token"


def _initial(guardian):
    if guardian is None:
        return {}
    return {"birth_name": guardian.last_name, "first_names": guardian.first_name,
            "sex": {"Mme": "F", "M.": "M"}.get(guardian.civility, "")}


@parent_required
@require_http_methods(["GET", "POST"])
def quotient_fetch(request):
    fc_token = request.session.get(FRANCE_CONNECT_TOKEN_KEY) or None
    form = QuotientFetchForm(request.POST or None, initial=_initial(request.guardian), identity_required=not fc_token)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            record = quotient_services.quotient_fetch_for_family(
                family=request.family, user=request.user, identity=form.cleaned_data["identity"],
                france_connect_token=fc_token,
            )
        except FamilyError as exc:
            error = exc.message
        else:
            return redirect("quotient:result", pk=record.pk)
    direct = Organisation.current().policy_quotient == Organisation.ChangePolicy.DIRECT
    return render(request, "identity/quotient_fetch.html", {
        "form": form, "error": error, "france_connect": bool(fc_token), "direct": direct,
    })


@parent_required
def quotient_result(request, pk):
    record = scoped_get(QuotientRecord.objects.all(), user=request.user, pk=pk)
    return render(request, "identity/quotient_result.html", {"record": record})


@parent_required
@require_http_methods(["GET", "POST"])
def quotient_proof(request):
    form = QuotientProofForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            quotient_services.quotient_proof_submit(
                family=request.family, user=request.user, value=form.cleaned_data["value"],
                benefit_number=form.cleaned_data["benefit_number"], proof=form.cleaned_data["proof"],
            )
        except FamilyError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Votre attestation a été envoyée : le service vérifiera le quotient et vous "
                                      "le verrez dans Mon dossier.")
            return redirect("families:dossier")
    return render(request, "identity/quotient_proof.html", {"form": form})
