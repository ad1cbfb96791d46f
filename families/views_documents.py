"""Parent pages: documents to provide, consents, yearly renewal. URLs under /dossier/ (namespace "documents")."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from messaging.views import private_file_response
from portal.errors import DomainError

from . import services_documents as services
from .access import family_for_user, parent_required
from .forms_documents import ConsentForm, DocumentUploadForm, QuotientForm, RenewalSubmitForm
from .middleware_documents import SESSION_KEY
from .models_documents import FamilyDocument, RenewalSubmission


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
    rows = services.documents_status(family=request.family)
    history = list(FamilyDocument.objects.filter(family=request.family).select_related("document_type")[:50])
    return render(request, "families/documents/index.html", {"form": form, "rows": rows, "history": history})


def document_file(request, pk):
    """The family's own document, or any document for staff; anyone else gets 404."""
    if not request.user.is_authenticated:
        raise Http404
    qs = FamilyDocument.objects.all()
    if not request.user.is_staff:
        qs = qs.filter(family=family_for_user(request.user))
    try:
        doc = qs.get(pk=pk)
    except (FamilyDocument.DoesNotExist, ValueError):
        raise Http404 from None
    return private_file_response(doc.file, doc.original_name, doc.content_type)


def renewal_proof(request, pk):
    if not request.user.is_authenticated:
        raise Http404
    qs = RenewalSubmission.objects.exclude(quotient_proof="")
    if not request.user.is_staff:
        qs = qs.filter(family=family_for_user(request.user))
    try:
        submission = qs.get(pk=pk)
    except (RenewalSubmission.DoesNotExist, ValueError):
        raise Http404 from None
    return private_file_response(submission.quotient_proof, submission.quotient_proof_name or "attestation-quotient",
                                 submission.quotient_proof_type)


@parent_required
def consents(request):
    versions = services.pending_consents(guardian=request.guardian)
    if not versions:
        request.session.pop(SESSION_KEY, None)
    form = ConsentForm(request.POST or None, versions=versions, optional=services.consent_is_optional)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and versions and form.is_valid():
        try:
            services.consent_answer(guardian=request.guardian, answers=form.answers())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            request.session.pop(SESSION_KEY, None)
            messages.success(request, "Merci, vos réponses sont enregistrées.")
            return redirect(next_url if _safe(request, next_url) else "home")
    return render(request, "families/documents/consents.html", {
        "form": form, "versions": versions, "next": next_url if _safe(request, next_url) else "",
        "history": services.consent_history(family=request.family),
    })


@parent_required
def renewal(request):
    campaign = services.current_campaign()
    if campaign is None:
        return render(request, "families/documents/renewal.html", {"campaign": None})
    submission = services.renewal_get_or_create(family=request.family, campaign=campaign)
    quotient_form = QuotientForm(prefix="qf", initial={
        "declared_quotient": submission.declared_quotient,
        "quotient_benefit_number": submission.quotient_benefit_number or request.family.benefit_number,
    })
    submit_form = RenewalSubmitForm(prefix="envoi")
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action.startswith("confirm:"):
                services.renewal_confirm_section(submission=submission, section=action.split(":", 1)[1])
                messages.success(request, "Rubrique vérifiée.")
                return redirect("documents:renewal")
            if action == "quotient":
                quotient_form = QuotientForm(request.POST, request.FILES, prefix="qf")
                if quotient_form.is_valid():
                    services.renewal_declare_quotient(
                        submission=submission, quotient=quotient_form.cleaned_data["declared_quotient"],
                        benefit_number=quotient_form.cleaned_data["quotient_benefit_number"],
                        proof=quotient_form.cleaned_data["quotient_proof"],
                    )
                    messages.success(request, "Votre quotient familial est déclaré.")
                    return redirect("documents:renewal")
            elif action == "submit":
                submit_form = RenewalSubmitForm(request.POST, prefix="envoi")
                if submit_form.is_valid():
                    services.renewal_submit(submission=submission, user=request.user,
                                            comment=submit_form.cleaned_data["family_comment"])
                    messages.success(request, "Votre actualisation a été envoyée au service. Vous recevrez un e-mail "
                                              "lorsqu'elle sera validée.")
                    return redirect("documents:renewal")
        except DomainError as exc:
            messages.error(request, exc.message)
            if action == "quotient":
                quotient_form.add_error(None, exc.message)
        submission.refresh_from_db()
    sections, missing = services.renewal_sections(submission=submission)
    return render(request, "families/documents/renewal.html", {
        "campaign": campaign, "submission": submission, "sections": sections, "missing": missing,
        "quotient_form": quotient_form, "submit_form": submit_form,
        "all_done": all(s["done"] for s in sections),
    })


def _safe(request, url):
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                         require_https=request.is_secure())
