"""Parent pages of the « Facturation » tab, the provider callback and the fake provider's card page."""
import logging

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from families.access import parent_required
from portal.errors import BillingError, PaymentError
from portal.middleware import checks_nul_bytes_itself, csp_policy
from portal.models import Organisation
from portal.ratelimit import client_ip, limit_exceeded

from . import selectors
from .forms import MandateForm, PayForm
from .models import DirectDebitMandate, FakeProviderOperation, Invoice, OnlineTransaction
from .pdf import certificate_pdf
from .pricing import ZERO, euros
from .providers import fake_operation_decide
from .services.direct_debit import mandate_request
from .services.invoice_pdfs import invoice_pdf_get
from .services.payments import (
    online_payment_check, online_payment_notify, online_payment_start, online_payments_refresh_family,
)

logger = logging.getLogger(__name__)

PAYFIP_ORIGIN = "https://www.payfip.gouv.fr"


def _page(request):
    try:
        return int(request.GET.get("page", 1))
    except ValueError:
        return 1


def _org(request):
    """The organisation row, read once per request (shared with the context processor)."""
    org = getattr(request, "_organisation", None)
    if org is None:
        org = request._organisation = Organisation.current()
    return org


def _invoice_for_parent(request, pk, related=("regie", "payer")):
    """The invoice if this parent may see it (their family, and the payer setting), else 404."""
    qs = selectors.visible_invoices(family=request.family, user=request.user, organisation=_org(request)).select_related(*related)
    try:
        return qs.get(pk=pk)
    except (Invoice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


class _UrlFor:
    """``reverse(name, args=[pk])`` for many rows: reversed once, then the pk is put in place."""

    SENTINEL = 987654321

    def __init__(self, name):
        self.head, self.tail = reverse(name, args=[self.SENTINEL]).split(str(self.SENTINEL))

    def __call__(self, pk):
        return f"{self.head}{pk}{self.tail}"


def _invoice_badge(invoice, today=None):
    """The state badge of an invoice row: (Bootstrap class, label), as billing/_status.html shows it; an
    invoice still due after its due date is « En retard »."""
    if invoice.payment_in_progress:
        return "text-bg-info", "Paiement en cours"
    if invoice.status == Invoice.Status.PAID:
        return "text-bg-success", "Payée"
    if invoice.status == Invoice.Status.CANCELLED:
        return "text-bg-secondary", "Annulée par avoir"
    late = invoice.due_on and today and invoice.due_on < today
    if invoice.paid_amount:
        return ("text-bg-danger", "Partiellement payée – en retard") if late else ("text-bg-warning", "Partiellement payée")
    return "text-bg-danger", "En retard" if late else "À payer"


def invoice_rows(invoices, ticked=frozenset()):
    """What the invoices table prints, computed in Python (one template loop without filters or tags).
    ``ticked``: the ids to show ticked (the parent coming back from the recap to change the selection)."""
    pdf_url, pay_url = _UrlFor("billing:invoice_pdf"), _UrlFor("billing:pay")
    rows = []
    today = timezone.localdate()
    for invoice in invoices:
        remaining = invoice.remaining
        badge_class, badge = _invoice_badge(invoice, today)
        if invoice.status == Invoice.Status.DUE and selectors.invoice_under_direct_debit(invoice):
            badge_class, badge = "text-bg-info", "Prélèvement automatique"
        rows.append({
            "pk": invoice.pk, "number": invoice.number, "issued_on": f"{invoice.issued_on:%d/%m/%Y}",
            "payer_name": invoice.payer_name, "regie": invoice.regie.name, "total": euros(invoice.total),
            "paid": euros(invoice.paid_amount), "remaining": euros(remaining),
            "due_on": f"{invoice.due_on:%d/%m/%Y}" if remaining > 0 else "",
            "badge_class": badge_class, "badge": badge, "pdf_url": pdf_url(invoice.pk),
            "pay_url": pay_url(invoice.pk) if invoice.payable else "", "ticked": invoice.payable and invoice.pk in ticked,
        })
    return rows


def _ticked(values):
    """The invoice ids of the « facture » boxes; a value that is no id answers 404 (a forged request)."""
    ids = set()
    for value in values:
        if not value.isdigit() or len(value) > 18:
            raise Http404
        ids.add(int(value))
    return ids


@parent_required
def index(request):
    data = selectors.invoices_page(family=request.family, user=request.user, organisation=_org(request), page=_page(request))
    try:
        ticked = _ticked(request.GET.getlist("facture"))
    except Http404:
        ticked = set()
    rows = invoice_rows(data["invoices"], ticked)
    return render(request, "billing/index.html", {
        **data,
        "rows": rows,
        "any_payable": any(row["pay_url"] for row in rows),
        "selection": _selection_summary([i for i in data["invoices"] if i.payable and i.pk in ticked]),
        "balance": selectors.family_balance(family=request.family, user=request.user, organisation=_org(request)),
        "tab": "invoices",
    })


def _selection_summary(invoices):
    """The live total under the ticked boxes: how many, how much, or why they cannot be paid together."""
    if not invoices:
        return {"count": 0}
    try:
        _regie, _provider, total = online_payment_check(invoices)
    except PaymentError as exc:
        return {"count": len(invoices), "problem": exc.message}
    return {"count": len(invoices), "total": euros(total)}


def payment_rows(payments):
    """What the payments table prints, computed in Python. An allocation shows its amount when the
    payment settles several invoices or only part of one."""
    rows = []
    for payment in payments:
        allocations = payment.allocation_list
        detailed = len(allocations) > 1 or any(amount != payment.amount for _, amount in allocations)
        rows.append({
            "amount": euros(payment.amount), "mode": payment.get_mode_display(),
            "received_on": f"{payment.received_on:%d/%m/%Y}", "payer_name": payment.payer_name or "—",
            "regie": payment.regie.name,
            "invoices": ", ".join(f"{number} ({euros(amount)} €)" if detailed else number for number, amount in allocations)
            or "Crédit sur le compte",
        })
    return rows


@parent_required
def payments(request):
    data = selectors.payments_page(family=request.family, user=request.user, organisation=_org(request), page=_page(request))
    return render(request, "billing/payments.html", {**data, "rows": payment_rows(data["payments"]), "tab": "payments"})


@parent_required
def statement(request):
    today = timezone.localdate()
    years = selectors.statement_years(family=request.family, user=request.user, organisation=_org(request), today=today)
    try:
        year = int(request.GET.get("annee", years[0]))
    except ValueError:
        year = years[0]
    if year not in years:
        year = years[0]
    data = selectors.account_statement(family=request.family, user=request.user, organisation=_org(request), start_year=year)
    pdf_url = _UrlFor("billing:invoice_pdf")
    for operation in data["operations"]:
        operation["pdf_url"] = pdf_url(operation["invoice_id"]) if operation["kind"] == "invoice" else ""
    return render(request, "billing/statement.html", {**data, "years": years, "tab": "statement"})


@parent_required
def enrolment_detail(request):
    groups = selectors.billed_per_enrolment(family=request.family, user=request.user, organisation=_org(request))
    return render(request, "billing/enrolment_detail.html", {"groups": groups, "tab": "detail"})


@parent_required
def certificates(request):
    today = timezone.localdate()
    years = selectors.certificate_years(today)
    rows = [selectors.childcare_certificate(family=request.family, year=y) for y in years]
    return render(request, "billing/certificates.html", {"certificates": rows, "tab": "certificates"})


@parent_required
def certificate_download(request, year):
    today = timezone.localdate()
    if not (2000 <= year <= today.year):
        raise Http404
    data = selectors.childcare_certificate(family=request.family, year=year)
    if not data["rows"]:
        raise Http404
    pdf = certificate_pdf(family=request.family, data=data)
    return pdf_response(pdf, f"attestation-frais-de-garde-{year}.pdf")


def pdf_response(content, filename):
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@parent_required
def invoice_download(request, pk):
    """The PDF of one of the family's invoices (the payer rule applies; staff use staff_views.invoice_download).

    Served from the copy stored at issue while it is up to date (one query for the invoice, its
    régie and its stored copy; no WeasyPrint), else rendered and stored (billing.services.invoice_pdfs).
    """
    invoice = _invoice_for_parent(request, pk, related=("regie", "pdf"))
    return invoice_pdf_response(invoice, organisation=_org(request))


def invoice_pdf_response(invoice, *, organisation):
    """The invoice's PDF, shown in the browser, never cached (parent and staff downloads)."""
    return pdf_response(invoice_pdf_get(invoice, organisation=organisation), f"facture-{invoice.number}.pdf")


@parent_required
@require_http_methods(["GET", "POST"])
def pay(request, pk):
    """« Payer » on one invoice: the same recap and payment as several ticked invoices."""
    return _pay_page(request, {pk}, single=True)


@parent_required
@require_http_methods(["GET", "POST"])
def pay_several(request):
    """« Continuer » under the ticked invoices: the recap (invoices, total, e-mail for the receipt), then
    one online payment for all of them."""
    source = request.POST if request.method == "POST" else request.GET
    ids = _ticked(source.getlist("facture"))
    if not ids:
        messages.error(request, "Cochez au moins une facture à payer, puis cliquez sur « Continuer ».")
        return redirect("billing:index")
    return _pay_page(request, ids)


@parent_required
@require_GET
def pay_total(request):
    """htmx: the number and total of the ticked invoices, as the parent ticks them (the partial only)."""
    ids = _ticked(request.GET.getlist("facture"))
    if len(ids) > selectors.PAY_SELECTION_MAX:
        return render(request, "billing/_pay_total.html", {"selection": {"count": len(ids), "problem": _TOO_MANY}})
    invoices = selectors.pay_selection(family=request.family, ids=ids, user=request.user, organisation=_org(request))
    if invoices is None:
        raise Http404
    return render(request, "billing/_pay_total.html", {"selection": _selection_summary(invoices)})


_TOO_MANY = f"Cochez au plus {selectors.PAY_SELECTION_MAX} factures pour un même paiement."


def _pay_page(request, ids, *, single=False):
    """The recap of the invoices to pay and, on POST, the start of their online payment.

    Every id is scoped to the family and the payer rule (``selectors.pay_selection``): another family's
    invoice answers 404. What cannot be paid (nothing ticked, already paid, a payment in progress, direct
    debit, two régies, beyond the provider's limit) is said in French on the page, the selection kept.
    """
    if len(ids) > selectors.PAY_SELECTION_MAX:
        invoices, problem = [], _TOO_MANY
    else:
        invoices = selectors.pay_selection(family=request.family, ids=ids, user=request.user, organisation=_org(request))
        if invoices is None:
            raise Http404
        problem = ""
        try:
            online_payment_check(invoices)
        except PaymentError as exc:
            problem = exc.message
    if request.method == "POST":
        form = PayForm(request.POST)
        if not problem and form.is_valid():
            try:
                _tx, url = online_payment_start(invoices=invoices, email=form.cleaned_data["email"], user=request.user)
            except PaymentError as exc:
                problem = exc.message
            else:
                return redirect(url)
    else:
        form = PayForm(initial={"email": request.guardian.email or request.user.email})
    change_url = reverse("billing:index") + ("?" + "&".join(f"facture={i.pk}" for i in invoices) if invoices else "")
    response = render(request, "billing/pay.html", {
        "invoices": invoices, "rows": [_recap_row(invoice) for invoice in invoices],
        "total": euros(sum((i.remaining for i in invoices), ZERO)), "problem": problem, "form": form,
        "single": single and len(invoices) == 1, "change_url": change_url, "tab": "invoices",
    })
    # This form's answer redirects to the payment provider: allow exactly that form target.
    response["Content-Security-Policy"] = csp_policy(form_action=("'self'", PAYFIP_ORIGIN))
    return response


def _recap_row(invoice):
    return {
        "pk": invoice.pk, "number": invoice.number, "regie": invoice.regie.name, "issued_on": f"{invoice.issued_on:%d/%m/%Y}",
        "due_on": f"{invoice.due_on:%d/%m/%Y}", "remaining": euros(invoice.remaining),
    }


@csrf_exempt
def payment_return(request, reference):
    """Where the provider sends the browser back: shows the real state, never changes it.

    Some providers send the browser back with a cross-site POST, which carries no SameSite=Lax
    session cookie: answer it with a redirect to the same address, which the browser GETs with it.
    """
    if request.method != "GET":
        return redirect(request.path)
    return _payment_return(request, reference)


@parent_required
def _payment_return(request, reference):
    try:
        tx = OnlineTransaction.objects.for_family(request.family).get(reference=reference)
    except OnlineTransaction.DoesNotExist:
        raise Http404 from None
    invoices = [
        item.invoice for item in tx.items.select_related("invoice").order_by("invoice__due_on", "invoice_id")
    ]
    rows = [
        {"number": i.number, "amount": euros(i.total - i.credited_amount), "remaining": euros(i.remaining), "status": i.status_label}
        for i in invoices
    ]
    return render(request, "billing/payment_return.html", {
        "transaction": tx, "rows": rows, "numbers": ", ".join(i.number for i in invoices),
        "single": len(invoices) == 1, "tab": "invoices",
    })


@parent_required
@require_POST
def payments_refresh(request):
    """« Actualiser l'état des paiements » : ask the provider about this family's pending payments."""
    count = online_payments_refresh_family(family=request.family)
    if count:
        messages.success(request, "L'état de vos paiements en ligne a été mis à jour auprès du service de paiement.")
    else:
        messages.info(request, "Aucun paiement en ligne en attente : vos factures sont à jour.")
    return redirect("billing:index")


# Notifications one address may send a minute. PayFiP notifies once per payment from a few servers:
# far below this even on the first of the month; a flood beyond it is refused before any query.
NOTIFY_LIMIT_PER_MINUTE = 120


@checks_nul_bytes_itself  # a forged body is stored (escaped) as a rejected notification, then 400
@csrf_exempt
def payment_notify(request, provider):
    """Server-to-server notification from the payment provider (verified by a status query)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    source = client_ip(request)
    if limit_exceeded(scope="payment-notify", ident=source, limit=NOTIFY_LIMIT_PER_MINUTE, period=60):
        logger.warning("Payment notifications from %s over %d a minute: refused", source, NOTIFY_LIMIT_PER_MINUTE)
        return HttpResponse("TOO MANY REQUESTS", content_type="text/plain", status=429, headers={"Retry-After": "60"})
    notification = online_payment_notify(
        provider=provider, body=request.body, query_string=request.META.get("QUERY_STRING", ""),
        remote_addr=source,
    )
    status = 200 if notification.outcome != notification.Outcome.REJECTED else 400
    return HttpResponse("OK" if status == 200 else "REJECTED", content_type="text/plain", status=status)


@require_http_methods(["GET", "POST"])
def fake_provider(request, idop):
    """The fake provider's card page (development and tests only): Payer / Refuser / Abandonner.

    On a choice it records the bank-side result, sends the server-to-server notification (carrying
    only the operation id, as PayFiP does) and sends the browser back to the portal's return page.
    """
    if not settings.PAYMENT_FAKE_PROVIDER:
        raise Http404
    op = get_object_or_404(FakeProviderOperation, idop=idop)
    if request.method == "POST" and not op.resultrans:
        choice = {"pay": "P", "refuse": "R", "abandon": "A"}.get(request.POST.get("choice"))
        if choice is None:
            return render(request, "billing/fake_provider.html", {"op": op, "amount": op.montant / 100, "error": True}, status=400)
        fake_operation_decide(op=op, result=choice)
        online_payment_notify(provider="fake", body=f"idOp={op.idop}", remote_addr="fournisseur-de-demonstration")
        return redirect(op.url_redirect)
    if op.resultrans:
        return redirect(op.url_redirect)
    return render(request, "billing/fake_provider.html", {"op": op, "amount": op.montant / 100})


@parent_required
@require_http_methods(["GET", "POST"])
def direct_debit(request):
    mandates = list(DirectDebitMandate.objects.for_family(request.family).order_by("-requested_at")[:10])
    open_mandate = next((m for m in mandates if m.status in (DirectDebitMandate.Status.REQUESTED, DirectDebitMandate.Status.ACTIVE)), None)
    if request.method == "POST" and open_mandate is None:
        form = MandateForm(request.POST)
        if form.is_valid():
            try:
                mandate_request(
                    family=request.family, guardian=request.guardian, holder_name=form.cleaned_data["holder_name"],
                    iban=form.cleaned_data["iban"], bic=form.cleaned_data["bic"],
                    holder_address=form.cleaned_data["holder_address"],
                )
            except BillingError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Votre demande de prélèvement automatique a été transmise au service.")
                return redirect("billing:direct_debit")
    else:
        initial = {"holder_name": request.guardian.full_name, "holder_address": ", ".join(request.guardian.postal_address_lines)}
        form = MandateForm(initial=initial)
    return render(request, "billing/direct_debit.html", {
        "form": form, "mandates": mandates, "open_mandate": open_mandate, "tab": "direct_debit",
    })

