"""Parent pages: documents to provide, consents, yearly renewal. URLs under /dossier/ (namespace "documents").

Every page is the logged-in parent's family's; the staff download the same files from ``staff_views``."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from families.access import parent_required, scoped_get
from portal.errors import DomainError
from portal.files import private_file_response

from . import selectors, services
from .forms import ConsentForm, DocumentUploadForm, QuotientForm, RenewalSubmitForm
from .middleware import SESSION_KEY
from .models import FamilyDocument, RenewalSubmission


@parent_required
def index(request):
    form = DocumentUploadForm(request.POST or None, request.FILES or None,
                              initial={"document_type": request.GET.get("type")})
    if request.method == "POST" and form.is_valid():
        try:
            doc = services.document_upload(
                family=request.family, user=request.user, document_type=form.cleaned_data["document_type"],
                uploaded=form.cleaned_data["file"],
            )
        except DomainError as exc:
            form.add_error("file", exc.message)
        else:
            messages.success(request, f"« {doc.document_type.name} » a bien été envoyé ; le service va le vérifier.")
            return redirect(request.POST.get("next") if _safe(request, request.POST.get("next")) else "documents:index")
    return render(request, "documents/index.html", {
        "form": form, "rows": selectors.documents_status(family=request.family),
        "history": selectors.documents_history(family=request.family),
    })


def document_file(request, pk):
    """One of the family's own documents; anyone else (anonymous, another family, staff) gets 404."""
    doc = scoped_get(FamilyDocument.objects.all(), user=request.user, pk=pk)
    return private_file_response(doc.file, doc.original_name, doc.content_type)


def renewal_proof(request, pk):
    """The quotient proof the family attached to its own renewal; anyone else gets 404."""
    submission = scoped_get(RenewalSubmission.objects.exclude(quotient_proof=""), user=request.user, pk=pk)
    return private_file_response(submission.quotient_proof, submission.quotient_proof_name or "attestation-quotient",
                                 submission.quotient_proof_type)


@parent_required
def consents(request):
    versions = selectors.pending_consents(guardian=request.guardian)
    if not versions:
        request.session.pop(SESSION_KEY, None)
    form = ConsentForm(request.POST or None, versions=versions, optional=selectors.consent_is_optional)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    next_url = next_url if _safe(request, next_url) else ""
    if request.method == "POST" and versions and form.is_valid():
        try:
            services.consent_answer(guardian=request.guardian, answers=form.answers())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, "Merci, vos réponses sont enregistrées.")
            return redirect(next_url or "home")
    return render(request, "documents/consents.html", {
        "form": form, "versions": versions, "next": next_url,
        "history": selectors.consent_history(family=request.family),
    })


@parent_required
def renewal(request):
    campaign = selectors.current_campaign()
    if campaign is None:
        return render(request, "documents/renewal.html", {"campaign": None})
    submission = services.renewal_get_or_create(family=request.family, campaign=campaign)
    forms = {"quotient_form": QuotientForm(prefix="qf", initial={
        "declared_quotient": submission.declared_quotient,
        "quotient_benefit_number": submission.quotient_benefit_number or request.family.benefit_number,
    }), "submit_form": RenewalSubmitForm(prefix="envoi")}
    if request.method == "POST":
        if _renewal_post(request, submission, forms):
            return redirect("documents:renewal")
        submission.refresh_from_db()
    sections, missing = selectors.renewal_sections(submission=submission)
    return render(request, "documents/renewal.html", {
        "campaign": campaign, "submission": submission, "sections": sections, "missing": missing,
        "all_done": all(s["done"] for s in sections), **forms,
    })


def _renewal_post(request, submission, forms):
    """Run the renewal form's ``action``; True when done (then redirect), else ``forms`` hold the errors."""
    action = request.POST.get("action", "")
    try:
        if action.startswith("confirm:"):
            services.renewal_confirm_section(submission=submission, section=action.split(":", 1)[1])
            messages.success(request, "Rubrique vérifiée.")
            return True
        if action == "quotient":
            return _renewal_quotient(request, submission, forms)
        if action == "submit":
            return _renewal_submit(request, submission, forms)
    except DomainError as exc:
        messages.error(request, exc.message)
        if action == "quotient":
            forms["quotient_form"].add_error(None, exc.message)
    return False


def _renewal_quotient(request, submission, forms):
    form = forms["quotient_form"] = QuotientForm(request.POST, request.FILES, prefix="qf")
    if not form.is_valid():
        return False
    services.renewal_declare_quotient(
        submission=submission, quotient=form.cleaned_data["declared_quotient"],
        benefit_number=form.cleaned_data["quotient_benefit_number"], proof=form.cleaned_data["quotient_proof"],
    )
    messages.success(request, "Votre quotient familial est déclaré.")
    return True


def _renewal_submit(request, submission, forms):
    form = forms["submit_form"] = RenewalSubmitForm(request.POST, prefix="envoi")
    if not form.is_valid():
        return False
    services.renewal_submit(submission=submission, user=request.user, comment=form.cleaned_data["family_comment"])
    messages.success(request, "Votre actualisation a été envoyée au service. Vous recevrez un e-mail "
                              "lorsqu'elle sera validée.")
    return True


def _safe(request, url):
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                         require_https=request.is_secure())
