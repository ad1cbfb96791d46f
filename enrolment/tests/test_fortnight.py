"""The fortnight (« Quinzaine ») and the week: one view of N days from a Monday, with the month's edit mode
and the « Mois · Quinzaine · Semaine » switcher (issue 20)."""
import datetime
import re

import pytest
from django.urls import reverse

from enrolment import loaders, services
from enrolment.basket import SESSION_KEY
from enrolment.models import Booking
from enrolment.services import BOOK, Change
from families.tests.factories import parent_with_family
from portal.models import Organisation, OutboundEmail

from .factories import enrol
# The month views' world (a child enrolled on Wednesdays, 10 places) at the same frozen time: 10/11/2025,
# when December can change until 20/11 and November is locked.
from .test_views import NOW, _many_bookings, frozen, world  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
D = datetime.date


def _url(name, enrolment, day, edit=False):
    return reverse(f"enrolment:{name}", args=[enrolment.pk, day.year, day.month, day.day]) + (
        "?modifier=1" if edit else "")


def _days(html):
    """The dates of the day headings of a week or fortnight page."""
    return re.findall(r'<h3 class="h6 mb-1">\w+ (\d\d/\d\d/\d{4})</h3>', html)


def test_fortnight_shows_fourteen_days_from_the_monday_and_navigates(world):
    client, user, family, child, activity, group, unit, enrolment = world
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 10), child.id, unit.id, BOOK)])
    # Any day of the first week opens the fortnight on its Monday.
    response = client.get(_url("fortnight", enrolment, D(2025, 12, 4)))
    html = response.content.decode()
    assert _days(html) == [f"{d:02d}/12/2025" for d in range(1, 15)]
    assert "Quinzaine du 01/12/2025 au 14/12/2025" in html
    assert "Journée : Réservé" in html and "Journée : libre" in html
    assert f'href="{_url("fortnight", enrolment, D(2025, 11, 17))}"' in html  # « Quinzaine précédente »
    assert f'href="{_url("fortnight", enrolment, D(2025, 12, 15))}"' in html  # « Quinzaine suivante »
    # The next fortnight goes on from the 15th.
    html = client.get(_url("fortnight", enrolment, D(2025, 12, 15))).content.decode()
    assert _days(html)[0] == "15/12/2025" and _days(html)[-1] == "28/12/2025"
    # The week is the same view, seven days.
    html = client.get(_url("week", enrolment, D(2025, 12, 4))).content.decode()
    assert _days(html) == [f"{d:02d}/12/2025" for d in range(1, 8)]
    assert "Semaine du 01/12/2025 au 07/12/2025" in html


def test_switcher_links_the_three_views_and_marks_the_one_shown(world):
    client, user, family, child, activity, group, unit, enrolment = world
    month = reverse("enrolment:month", args=[enrolment.pk, 2025, 12])
    fortnight, week = _url("fortnight", enrolment, D(2025, 12, 1)), _url("week", enrolment, D(2025, 12, 1))
    for url, current in ((month, "Mois"), (fortnight, "Quinzaine"), (week, "Semaine")):
        html = client.get(url).content.decode()
        nav = html[html.index('aria-label="Affichage du calendrier"'):]
        nav = nav[:nav.index("</nav>")]
        assert f'href="{month}"' in nav and f'href="{fortnight}"' in nav and f'href="{week}"' in nav
        assert re.findall(r'aria-current="page">(\w+)</a>', nav) == [current]


def test_the_month_switches_to_its_first_day_that_can_change(world):
    """In November (locked since 20/10) the month's fortnight opens on its first week; December's on the
    week of its first Wednesday, the first day that can still change."""
    client, user, family, child, activity, group, unit, enrolment = world
    html = client.get(reverse("enrolment:month", args=[enrolment.pk, 2025, 12])).content.decode()
    assert f'href="{_url("fortnight", enrolment, D(2025, 12, 1))}"' in html
    html = client.get(reverse("enrolment:month", args=[enrolment.pk, 2026, 1])).content.decode()
    assert f'href="{_url("fortnight", enrolment, D(2025, 12, 29))}"' in html  # the Monday of 01/01/2026


def test_default_fortnight_is_the_first_changeable_one(world):
    client, user, family, child, activity, group, unit, enrolment = world
    response = client.get(reverse("enrolment:fortnight_default", args=[enrolment.pk]))
    assert response.status_code == 302 and response.url == _url("fortnight", enrolment, D(2025, 12, 1))


def test_edit_puts_ticks_in_the_basket_then_the_commit_books(world, django_capture_on_commit_callbacks):
    client, user, family, child, activity, group, unit, enrolment = world
    url = _url("fortnight", enrolment, D(2025, 12, 1))
    html = client.get(url + "?modifier=1").content.decode()
    # A box per open day (two Wednesdays), the unit rules checked live, the deadline said.
    assert html.count('name="case"') == 2 and f'hx-post="{reverse("enrolment:unit_rules", args=[enrolment.pk])}"' in html
    assert "possibles jusqu&#x27;au 20 novembre à 23 h 59" in html
    response = client.post(url, {"case": [f"2025-12-03:{unit.pk}", f"2025-12-10:{unit.pk}"], "suite": "rester"})
    assert response.status_code == 302 and response.url == url + "?modifier=1#calendrier"
    assert client.session[SESSION_KEY] == [[child.pk, unit.pk, "2025-12-03", "book"],
                                           [child.pk, unit.pk, "2025-12-10", "book"]]
    html = client.get(url + "?modifier=1").content.decode()
    assert html.count("sera réservé") == 2 and html.count(" checked") == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("enrolment:basket"), {"action": "commit"}).status_code == 302
    assert sorted(Booking.objects.filter(child=child, state="reserved").values_list("date", flat=True)) == [
        D(2025, 12, 3), D(2025, 12, 10)]
    assert OutboundEmail.objects.filter(template="booking_recap").exists()
    # Unticking a booked day from the fortnight puts its cancellation in the basket (« sera annulé »).
    client.post(url, {"case": [f"2025-12-03:{unit.pk}"], "suite": "recap"})
    assert client.session[SESSION_KEY] == [[child.pk, unit.pk, "2025-12-10", "cancel"]]
    assert "Journée : sera annulé (à confirmer)" in client.get(url).content.decode()


def test_locked_days_are_not_editable(world):
    """The fortnight of 10/11 (November locked since 20/10) has no box, and ticks posted for it are ignored;
    a fortnight across November and December offers December's days only."""
    client, user, family, child, activity, group, unit, enrolment = world
    url = _url("fortnight", enrolment, D(2025, 11, 10))
    html = client.get(url).content.decode()
    assert "Ces jours ne sont plus modifiables" in html and ">Modifier</a>" not in html
    assert 'name="case"' not in client.get(url + "?modifier=1").content.decode()
    client.post(url, {"case": [f"2025-11-12:{unit.pk}", f"2025-11-19:{unit.pk}"]})
    assert not client.session.get(SESSION_KEY)
    across = _url("fortnight", enrolment, D(2025, 11, 24))
    html = client.get(across + "?modifier=1").content.decode()
    assert f'value="2025-12-03:{unit.pk}"' in html and f'value="2025-11-26:{unit.pk}"' not in html
    client.post(across, {"case": [f"2025-11-26:{unit.pk}", f"2025-12-03:{unit.pk}"]})
    assert client.session[SESSION_KEY] == [[child.pk, unit.pk, "2025-12-03", "book"]]


def test_another_familys_enrolment_and_bad_dates_answer_404(world):
    client, user, family, child, activity, group, unit, enrolment = world
    _, other_family = parent_with_family(children=1)
    other = enrol(other_family.children.get(), activity, group)
    for url in (_url("fortnight", other, D(2025, 12, 1)), _url("fortnight", other, D(2025, 12, 1), edit=True),
                reverse("enrolment:fortnight_default", args=[other.pk])):
        assert client.get(url).status_code == 404, url
    assert client.post(_url("fortnight", other, D(2025, 12, 1)), {"case": [f"2025-12-03:{unit.pk}"]}).status_code == 404
    assert not client.session.get(SESSION_KEY)
    base = reverse("enrolment:fortnight", args=[enrolment.pk, 2025, 12, 1])[:-len("2025/12/1/")]
    for tail in ("2025/2/30/", "2025/13/1/", "1999/12/1/", "99999999999999999999/1/1/", "2025/1/99999999999999999999/"):
        assert client.get(base + tail).status_code == 404, tail


@pytest.mark.parametrize("many", [1, 10_000])
def test_fortnight_and_week_query_counts_do_not_grow(world, django_assert_max_num_queries, many):
    client, user, family, child, activity, group, unit, enrolment = world

    Organisation.current()
    _many_bookings(activity, group, unit, many)
    services.booking_commit(family=family, by=user, now=NOW, changes=[Change(D(2025, 12, 3), child.id, unit.id, BOOK)])
    loaders.catalogue()  # warm, as in a running server
    Organisation.current()
    # The session, the user with guardian and family, the enrolment, one query for the child's bookings,
    # waiting-list entries and counters, the navigation's unread badge: the month's budget.
    for name in ("fortnight", "week"):
        for edit in (False, True):
            with django_assert_max_num_queries(5):
                assert client.get(_url(name, enrolment, D(2025, 12, 1), edit=edit)).status_code == 200
    # Saving the ticks, as the month does: the session, the user, the enrolment, the child's days, the session
    # written (inside a savepoint here: the test's transaction adds SAVEPOINT and RELEASE).
    for url in (_url("fortnight", enrolment, D(2025, 12, 1)), reverse("enrolment:month", args=[enrolment.pk, 2025, 12])):
        with django_assert_max_num_queries(7):
            assert client.post(url, {"case": [f"2025-12-10:{unit.pk}"]}).status_code == 302
