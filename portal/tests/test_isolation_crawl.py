"""One crawl of every URL of the site: a parent page with an id in its address, asked by another family's
parent with family A's ids, answers 404 and changes nothing; every staff page (/personnel/) sends a parent
to the admin login, even for their own family's objects.

The patterns come from the URLconf itself, not from a list kept by hand: a new parent URL whose id the crawl
cannot fill fails ``test_every_parent_url_with_an_id_is_crawled`` until it is given an object of family A
below (``IDS``), and a new parent URL that forgets to scope its id fails the crawl.
"""
import datetime
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from billing.services.payments import online_payment_start
from billing.tests.factories import March, invoice_make
from documents import services as documents_services
from documents.models import DocumentType, RenewalCampaign
from earlychildhood.models import Decision
from earlychildhood.services import commission
from earlychildhood.tests.factories import nursery_make, pre_make, session_make
from enrolment.models import BookingWindow, WaitingListEntry
from families.models import QuotientRecord
from families.services_quotient import quotient_record_create
from families.tests.factories import AuthorisedPersonFactory, VaccinationFactory
from menus.models import Menu
from messaging import services as messaging_services
from messaging.models import Service
from messaging.tests.factories import pdf_bytes, png_bytes, upload
from news.models import NewsPost
from opening.models import FamilyOutcome, RequestPhase
from portal.staff import is_staff_only

pytestmark = pytest.mark.django_db

# Prefixes that are not parent pages: the Django admin, the account pages (allauth: no family object in
# their addresses), and the staff pages (checked by ``test_staff_pages_send_parents_to_the_admin_login``).
ADMIN, ACCOUNTS, STAFF = "admin/", "compte/", "personnel/"

# URL parameters that are not ids: filled with plausible values (a month of the fixture season, a mode).
NOT_IDS = {"year": 2026, "month": 3, "day": 4, "mode": "masse", "provider": "fake"}

# Parent-side URLs whose id is deliberately not scoped to the logged-in family, and why.
NOT_FAMILY_SCOPED = {
    # The private calendar feed: the secret token in the address is the credential (calendar apps cannot log
    # in); the family replaces it from « Agenda » to revoke it.
    "enrolment:feed": "token",
    # The invitation link of an e-mail: its one-time, expiring token is what proves who follows it.
    "families:invitation": "token",
    # The fake payment provider's card page (development and tests only, off in production): not family data.
    "billing:fake_provider": "idop",
    # Documents the service publishes to every family (menus, rules…), or to the public: nobody's own data.
    "news:document": "pk",
}

# A POST that legitimately redirects instead of answering 404, and why: a provider may send the browser back
# with a cross-site POST, which carries no session cookie; the view answers a redirect to the same address,
# whose GET (with the cookie) is then scoped like any other page (404 for another family).
POST_REDIRECTS_TO_ITSELF = {"billing:payment_return"}

# Parent URLs whose ids come in the query string (GET) or the form (POST) rather than the path, by the
# name of that field: the invoices ticked for one online payment. Each is replayed with family A's invoice.
QUERY_IDS = {"billing:pay_several": "facture", "billing:pay_total": "facture"}

# What the crawl POSTs: enough fields for any form of the site to act if the view forgot the family.
PAYLOAD = {
    "body": "Intrusion", "first_name": "Pirate", "last_name": "PIRATE", "phone": "0600000000", "sex": "M",
    "birth_date": "2019-01-01", "civility": "M.", "relationship": "father", "allergies": "Pirate",
    "reason": "Pirate", "date": "2026-03-11", "auto_book": "on", "email": "pirate@example.org",
    "start": "2026-03-01", "end": "2026-03-31", "action": "book", "weekdays": ["2"], "restore": "",
}

# The tables a parent page could change: every model of the domain apps.
DOMAIN_APPS = ("families", "documents", "enrolment", "billing", "messaging", "news", "menus", "opening", "earlychildhood")


def _walk(patterns, prefix="", namespace=""):
    """(route, URL name with its namespaces, view, parameter names) of every pattern, includes followed."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, ns)
        elif isinstance(entry, URLPattern):
            params = list(getattr(entry.pattern, "converters", {})) or list(entry.pattern.regex.groupindex)
            name = f"{namespace}{entry.name}" if entry.name else route
            yield route, name, entry.callback, params


def _patterns(area):
    """The patterns of the parent side (``area`` "parent") or of the staff side ("staff")."""
    for route, name, view, params in _walk(get_resolver().url_patterns):
        if route.startswith((ADMIN, ACCOUNTS)):
            continue
        if route.startswith(STAFF) == (area == "staff"):
            yield route, name, view, params


def _id_params(params):
    return [p for p in params if p not in NOT_IDS]


def _snapshot():
    rows = {}
    for label in DOMAIN_APPS:
        for model in apps.get_app_config(label).get_models():
            rows[model._meta.label] = list(model._default_manager.order_by("pk").values_list())
    return rows


@pytest.fixture
def family_a(parent):
    """Family A with one object behind every id a URL takes (ids by parameter name, or by URL name for ``pk``)."""
    user, family = parent
    child = family.children.get()
    march = March(family)
    booking = march.bookings["day_reserved"]
    entry = WaitingListEntry.objects.create(child=child, unit=march.day_unit, date=datetime.date(2026, 3, 4),
                                            enrolment=march.enrolment, created_at=timezone.now())
    invoice = invoice_make(regie=march.regie, family=family, number=1, total="45.20", payer=user.guardian)
    transaction, _ = online_payment_start(invoices=[invoice], email="a@example.org", user=user)
    thread = messaging_services.thread_start_by_family(
        family=family, guardian=user.guardian, user=user, service=Service.objects.get_or_create(name="Scolarité")[0],
        theme="information", subject="Privé", body="Données privées", files=[upload("secret.pdf")],
    )
    document = documents_services.document_upload(
        family=family, user=user, document_type=DocumentType.objects.create(name="RC"),
        uploaded=upload("rc.pdf", pdf_bytes()))
    today = timezone.localdate()
    campaign = RenewalCampaign.objects.create(school_year="2026/2027", opens_on=today, deadline=today)
    submission = documents_services.renewal_declare_quotient(
        submission=documents_services.renewal_get_or_create(family=family, campaign=campaign),
        quotient=Decimal("500"), benefit_number="1", proof=upload("caf.pdf", pdf_bytes()))
    quotient = quotient_record_create(family=family, value=Decimal("742"), source=QuotientRecord.Source.PROOF,
                                      valid_from=today, proof=upload("qf.pdf", pdf_bytes()), by=user)
    # A news post for the families of A's structure only: scoped by audience rather than owned by a family.
    post = NewsPost.objects.create(title="Sortie", body="Au parc", audience=NewsPost.Audience.STRUCTURE,
                                   structure=march.structure, publish_from=timezone.now() - datetime.timedelta(days=1))
    post.image.save("parc.png", ContentFile(png_bytes()))
    # The menus of A's structure: its page and PDF take the structure's id, scoped by A's enrolments.
    Menu.objects.create(structure=march.structure, starts_on=datetime.date(2026, 3, 2), ends_on=datetime.date(2026, 3, 6))
    crèche = _earlychildhood_objects(family)
    # A published fair-opening allocation (opening app) with family A's outcome.
    window = BookingWindow.objects.create(activity=march.activity, name="Mars", period_start=march.start,
                                          period_end=march.end, closes_on=march.end)
    phase = RequestPhase.objects.create(window=window, published_at=timezone.now())
    FamilyOutcome.objects.create(phase=phase, family=family, rank=1, draw="0" * 64)
    by_param = {
        **crèche,
        "guardian_id": user.guardian.pk, "child_id": child.pk,
        "person_id": AuthorisedPersonFactory(child=child).pk, "enrolment_id": march.enrolment.pk,
        "vaccination_id": VaccinationFactory(child=child).pk,
        "booking_id": booking.pk, "entry_id": entry.pk, "reference": transaction.reference,
        "structure_id": march.structure.pk,
        "phase_id": phase.pk,
    }
    by_url = {  # ``pk`` names a different model on each page
        "billing:invoice_pdf": invoice.pk, "billing:pay": invoice.pk,
        "billing_staff:invoice_pdf": invoice.pk, "families_staff:family": family.pk,
        "messaging:thread": thread.pk, "messaging:thread_delete": thread.pk,
        "messaging_staff:thread": thread.pk,
        "messaging:attachment": thread.messages.get().attachments.get().pk,
        "messaging_staff:attachment": thread.messages.get().attachments.get().pk,
        "documents:file": document.pk, "documents_staff:file": document.pk,
        "documents:renewal_proof": submission.pk, "documents_staff:renewal_proof": submission.pk,
        "news:detail": post.pk, "news:image": post.pk,
        "quotient:result": quotient.pk, "quotient_staff:proof": quotient.pk,
    }
    payload = {**PAYLOAD, "unit": march.day_unit.pk}  # the waiting list's form names a unit of the activity
    return user, by_param, by_url, payload


def _earlychildhood_objects(family):
    """A pre-enrolment (expected child), an offer accepted into a contract, and a second open request of A."""
    nursery, section = nursery_make(prefix="CR")
    pre = pre_make(family, nursery)
    session, spot = session_make(section)
    decision = commission.decision_record(session=session, pre=pre, kind=Decision.Kind.OFFER, places=spot)
    commission.session_hold(session=session)
    contract = commission.offer_answer(decision=decision, accept=True)
    open_pre = pre_make(family, nursery)
    return {"pre_id": open_pre.pk, "decision_id": decision.pk, "contract_id": contract.pk, "session_id": session.pk}


def _fill(route, name, params, by_param, by_url):
    """The address of ``route`` with family A's ids, or None if the crawl has no object for one of them."""
    values = {}
    for p in params:
        if p in NOT_IDS:
            values[p] = NOT_IDS[p]
        elif p == "pk" and name in by_url:
            values[p] = by_url[name]
        elif p in by_param:
            values[p] = by_param[p]
        else:
            return None
    path = route
    for p, value in values.items():
        path = path.replace(f"<int:{p}>", str(value)).replace(f"<str:{p}>", str(value)).replace(f"<{p}>", str(value))
    return "/" + path


def _crawled(family_a):
    """[(URL name, address)] of every parent pattern with an id (not NOT_FAMILY_SCOPED), filled for family A."""
    _, by_param, by_url, _ = family_a
    return [
        (name, _fill(route, name, params, by_param, by_url))
        for route, name, _, params in _patterns("parent")
        if _id_params(params) and name not in NOT_FAMILY_SCOPED
    ]


def test_every_parent_url_with_an_id_is_crawled(family_a):
    """A new parent URL with an id fails here until the crawl is given family A's object for it."""
    missing = [name for name, path in _crawled(family_a) if path is None]
    assert not missing, f"Give family A an object for the ids of {missing} (family_a above), or explain in " \
                        f"NOT_FAMILY_SCOPED why the page is not scoped to the family."
    names = {name for _, name, _, params in _patterns("parent") if _id_params(params)}
    assert set(NOT_FAMILY_SCOPED) <= names, "NOT_FAMILY_SCOPED names a URL that no longer exists"
    assert len(names) >= 20  # the crawl really walked the site (families, documents, enrolment, billing, messaging)


def test_another_familys_ids_answer_404_on_every_parent_page(client, family_a, other_family):
    user_a, _, _, payload = family_a
    crawled = _crawled(family_a)
    assert all(path for _, path in crawled)
    client.force_login(other_family[0])
    before = _snapshot()
    for name, path in crawled:
        got = client.get(path).status_code
        # 405: a POST-only view refuses the method before anything else; its POST is checked below.
        assert got in (404, 405), f"GET {path} ({name}) as another family: {got}"
        response = client.post(path, payload)
        if name in POST_REDIRECTS_TO_ITSELF:
            assert response.status_code == 302 and response.url == path, name
        else:
            assert response.status_code == 404, f"POST {path} ({name}) as another family: {response.status_code}"
    assert _snapshot() == before, "another family's request changed family A's data"
    # The ids were real: family A's parent reaches every one of these pages.
    own = Client()
    own.force_login(user_a)
    for name, path in crawled:
        got = own.get(path).status_code
        if got == 405:
            got = own.post(path, payload).status_code
        assert got in (200, 302), f"{path} ({name}) as family A: {got}"


def test_another_familys_ids_in_the_query_or_form_answer_404(client, family_a, other_family):
    user_a, _, by_url, payload = family_a
    invoice_id = by_url["billing:pay"]
    routes = {name: "/" + route for route, name, _, _ in _patterns("parent") if name in QUERY_IDS}
    assert set(routes) == set(QUERY_IDS), "QUERY_IDS names a URL that no longer exists"
    client.force_login(other_family[0])
    before = _snapshot()
    for name, path in routes.items():
        field = QUERY_IDS[name]
        got = client.get(path, {field: invoice_id}).status_code
        assert got == 404, f"GET {path}?{field}= ({name}) as another family: {got}"
        got = client.post(path, {**payload, field: invoice_id}).status_code
        assert got in (404, 405), f"POST {path} ({name}) as another family: {got}"
    assert _snapshot() == before, "another family's request changed family A's data"
    own = Client()
    own.force_login(user_a)
    for name, path in routes.items():
        assert own.get(path, {QUERY_IDS[name]: invoice_id}).status_code == 200, f"{path} ({name}) as family A"


def test_staff_pages_send_parents_to_the_admin_login(client, family_a):
    """Every page under /personnel/ is behind portal.staff.staff_only; a parent, even with their own family's
    ids, is sent to the admin login and reads nothing."""
    user_a, by_param, by_url, payload = family_a
    client.force_login(user_a)
    staff = list(_patterns("staff"))
    assert {name.split(":")[0] for _, name, _, _ in staff} >= {"enrolment_staff", "billing_staff", "messaging_staff"}
    for route, name, view, params in staff:
        assert is_staff_only(view), f"{name} is not included through portal.staff.staff_only"
        path = _fill(route, name, params, by_param, by_url)
        assert path, f"Give family A an object for the ids of {name}"
        for response in (client.get(path), client.post(path, payload)):
            assert response.status_code == 302 and response.url.startswith("/admin/login/"), f"{path} ({name})"


def test_staff_get_404_on_parent_pages(family_a, staff_user):
    """Parent views never branch on staff: a staff user without a family gets what any non-parent gets."""
    payload = family_a[3]
    client = Client()
    client.force_login(staff_user)
    for name, path in _crawled(family_a):
        assert client.get(path).status_code in (404, 405), name
        if name not in POST_REDIRECTS_TO_ITSELF:
            assert client.post(path, payload).status_code == 404, name


def test_anonymous_visitors_read_nothing(client, family_a):
    for name, path in _crawled(family_a):
        response = client.get(path)
        assert response.status_code in (302, 404, 405), name
        if response.status_code == 302:
            assert response.url.startswith("/compte/login/"), name

