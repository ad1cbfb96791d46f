"""No input gives a 500 (issue 15): every URL pattern of the URLconf, each parameter filled in turn with
hostile values (NUL bytes, huge integers and years, negative numbers, 3,000-character strings, ``..%2F``)
while the others keep a real value of the logged-in family, requested logged out, as a parent and as staff.

Allowed answers: 400 (refused input), 404 (no such object for this user), 405 (a POST-only endpoint asked
with GET), 410, a redirect (302: to the login page for a logged-out visitor, or the view's normal redirect
for a valid request, e.g. the admin's « this object does not exist » back to its list) and 403 (the admin
and staff pages for a parent, the CSRF check). Never 500.
"""
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import get_resolver

from billing.models import Invoice
from documents.middleware import SESSION_KEY as CONSENTS_PENDING
from enrolment.models import Booking, Enrolment
from families.demo import STAFF_EMAIL
from families.models import Family

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("fuzz-urls")]

HOSTILE = [
    "%00", "abc%00def", "99999999999999999999", str(2**63), str(2**64 + 1), "-1", "0", "a" * 3000,
    "..%2F..%2Fetc%2Fpasswd", "%2E%2E%2F", quote("é\u202egpj.exe"),
]
ALLOWED = {200, 302, 400, 403, 404, 405, 410}
# 200 stays allowed only for a parameter the view ignores or treats as free text (a search, a token
# looked up and not found is 404); the point of this test is that nothing answers 500.


def _routes(resolver=None, prefix=""):
    """Every reversible route as (format string, parameter names), e.g. ("inscriptions/planning/%(enrolment_id)s/", ["enrolment_id"])."""
    resolver = resolver or get_resolver()
    seen = set()
    for key, entries in resolver.reverse_dict.lists():
        for possibilities, _pattern, _defaults, _converters in entries:
            for fmt, params in possibilities:
                if (prefix + fmt) not in seen:
                    seen.add(prefix + fmt)
                    yield prefix + fmt, list(params)
    for _ns, (ns_prefix, sub) in resolver.namespace_dict.items():
        yield from _routes(sub, prefix + ns_prefix)


def _real_values(family):
    """A real value of ``family`` for each parameter name the URLconf uses (others get ``1``)."""
    enrolment = Enrolment.objects.filter(child__family=family).order_by("pk").first()
    booking = Booking.objects.filter(child__family=family).order_by("pk").first()
    invoice = Invoice.objects.filter(family=family).order_by("pk").first()
    child = family.children.order_by("pk").first()
    return {
        "enrolment_id": enrolment.pk if enrolment else 1, "child_id": child.pk if child else 1,
        "booking_id": booking.pk if booking else 1, "pk": invoice.pk if invoice else 1,
        "year": 2026, "month": 1, "day": 7, "mode": "masse",
    }


def _urls(values):
    urls = set()
    for fmt, params in _routes():
        if not params:
            continue
        base = {name: values.get(name, 1) for name in params}
        for name in params:
            for hostile in HOSTILE:
                path = "/" + fmt % {**base, name: hostile}
                urls.add(path)
    return sorted(urls)


def _check(client, urls, who):
    failures = []
    for url in urls:
        response = client.get(url)
        if response.status_code not in ALLOWED:
            failures.append((who, url[:120], response.status_code))
    return failures


def test_every_url_pattern_with_hostile_parameters(client, settings):
    call_command("demo_data", verbosity=0)
    family = Family.objects.filter(guardians__user__isnull=False, children__enrolments__isnull=False).order_by("pk").first()
    parent = family.guardians.filter(user__isnull=False).first().user
    staff = get_user_model().objects.get(email=STAFF_EMAIL)
    client.raise_request_exception = False  # count the 500s instead of stopping at the first
    urls = _urls(_real_values(family))
    assert len(urls) > 300
    failures = _check(client, urls, "anonyme")
    client.force_login(parent)
    session = client.session
    session.pop(CONSENTS_PENDING, None)  # the consent page would answer every URL with a redirect
    session.save()
    failures += _check(client, urls, "parent")
    client.force_login(staff)
    failures += _check(client, urls, "agent")
    assert not failures, "\n".join(map(str, failures))
    assert len(urls) * 3 >= 1000  # figure quoted in README « Fiabilité »
