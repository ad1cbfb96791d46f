"""Two portal servers (gunicorn, production settings) share one PostgreSQL and one Redis, and a parent's
requests alternate between them, as behind a load balancer: sessions, baskets, logouts, login throttling
and the capacity staff set must be the same on both. Then Redis goes down: pages, logins and bookings
keep working, only slower, and everything resumes once it is back."""
import datetime
import re
import subprocess
import time

import pytest
import requests
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from enrolment.models import Booking, CapacityOverride, Enrolment, Occupancy, OpeningPeriod
from enrolment.tests.factories import ActivityFactory, GroupFactory, UnitFactory
from families.tests.factories import StaffFactory, parent_with_family

from .servers import free_port, portal_servers, redis_db_for_worker, server_log

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.multi_server]

PASSWORD = "Multi-Serveur-2026"
PUBLIC_HOST = "portail.example.org"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _production_password(user):
    """The servers run the production hashers (the test settings use a fast one): hash as production does."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save(update_fields=["password"])


def _wednesdays(count):
    today = timezone.localdate()
    day = today + datetime.timedelta(days=7 + (2 - today.weekday()) % 7)
    return [day + datetime.timedelta(weeks=i) for i in range(count)]


def _activity(capacity=10):
    """A Wednesday activity of the current season, bookable until 2 days before."""
    today = timezone.localdate()
    activity = ActivityFactory(season_start=today - datetime.timedelta(days=30),
                               season_end=today + datetime.timedelta(days=200),
                               booking_rule="notice", notice_days=2)
    OpeningPeriod.objects.create(activity=activity, start_date=activity.season_start, end_date=activity.season_end,
                                 wednesday=True)
    group = GroupFactory(activity=activity)
    unit = UnitFactory(activity=activity, name="Journée", code=f"J{activity.pk}", capacity=capacity, order=0)
    return activity, group, unit


def _enrolled_parent(activity, group):
    user, family = parent_with_family(children=1)
    child = family.children.get()
    enrolment = Enrolment.objects.create(child=child, activity=activity, group=group,
                                         status=Enrolment.Status.VALIDATED, requested_at=timezone.now())
    return user, child, enrolment


def _browser():
    """A browser behind the load balancer: every server sees the same public host name."""
    http = requests.Session()
    http.headers["Host"] = PUBLIC_HOST
    return http


def _session_for(user):
    """A logged-in session written as ``login()`` writes it (the servers share the test's SECRET_KEY)."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _token(http, url):
    response = http.get(url, timeout=30)
    assert response.status_code == 200, (url, response.status_code)
    return CSRF.search(response.text).group(1)


def _login(http, server, email, password):
    token = _token(http, f"{server}/compte/login/")
    return http.post(f"{server}/compte/login/", data={"csrfmiddlewaretoken": token, "login": email,
                                                       "password": password}, allow_redirects=False, timeout=30)


def _logged_in(http, server):
    """True when the server serves a parent page to this cookie jar (not a redirect to the login page)."""
    response = http.get(f"{server}/famille/", allow_redirects=False, timeout=30)
    return response.status_code == 200


def _select(http, server, enrolment, child, unit, days, action="book"):
    url = f"{server}/inscriptions/planning/{enrolment.pk}/selection/masse/"
    token = _token(http, url)
    response = http.post(url, data={
        "csrfmiddlewaretoken": token, "start": min(days).isoformat(), "end": max(days).isoformat(),
        "action": action, "children": str(child.pk), "weekdays": "2", "units": str(unit.pk),
    }, allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:2000]


def _commit(http, server):
    token = _token(http, f"{server}/inscriptions/panier/")
    return http.post(f"{server}/inscriptions/panier/", data={"csrfmiddlewaretoken": token, "action": "commit"},
                     allow_redirects=False, timeout=30)


def _holding(unit, day):
    return Booking.objects.filter(unit=unit, date=day, state__in=Booking.HOLDING_STATES).count()


def test_two_servers_share_sessions_baskets_logouts_throttling_and_capacity():
    activity, group, unit = _activity(capacity=10)
    parent, child, enrolment = _enrolled_parent(activity, group)
    _production_password(parent)
    staff = StaffFactory()
    _production_password(staff)
    throttled, _ = parent_with_family()
    _production_password(throttled)
    racers = [_enrolled_parent(activity, group) for _ in range(4)]
    first, second, full_day = _wednesdays(3)

    with portal_servers(2, redis_db=redis_db_for_worker(7), SECRET_KEY=settings.SECRET_KEY,
                        ALLOWED_HOSTS=PUBLIC_HOST) as (a, b):
        # Log in on A, fill the basket on B, commit on A.
        http = _browser()
        assert _login(http, a, parent.email, PASSWORD).status_code == 302
        assert _logged_in(http, b)
        _select(http, b, enrolment, child, unit, [first, second])
        response = _commit(http, a)
        assert response.status_code == 302, response.text[:2000]
        assert set(Booking.objects.filter(child=child, state="reserved").values_list("date", flat=True)) == {first, second}

        # Log out on B; the old cookie sent to A is logged out too.
        cookie = http.cookies.get("sessionid")
        token = _token(http, f"{b}/famille/")
        assert http.post(f"{b}/compte/logout/", data={"csrfmiddlewaretoken": token},
                         allow_redirects=False, timeout=30).status_code == 302
        replay = _browser()
        replay.cookies.set("sessionid", cookie)
        assert not _logged_in(replay, a)
        assert not _logged_in(replay, b)

        # Both servers have the catalogue in memory; staff lower the day's capacity to 2 in the admin on A.
        sessions = []
        for user, kid, enrolled in racers:
            s = _browser()
            s.cookies.set("sessionid", _session_for(user))
            response = s.get(f"{b}/inscriptions/planning/{enrolled.pk}/{full_day.year}/{full_day.month}/", timeout=30)
            assert response.status_code == 200, server_log(b)
            sessions.append(s)
        admin = _browser()
        token = _token(admin, f"{a}/admin/login/")
        assert admin.post(f"{a}/admin/login/", data={"csrfmiddlewaretoken": token, "username": staff.username,
                                                      "password": PASSWORD, "next": "/admin/"},
                          allow_redirects=False, timeout=30).status_code == 302
        token = _token(admin, f"{a}/admin/enrolment/capacityoverride/add/")
        response = admin.post(f"{a}/admin/enrolment/capacityoverride/add/", data={
            "csrfmiddlewaretoken": token, "unit": unit.pk, "group": "", "date": full_day.strftime("%d/%m/%Y"),
            "capacity": "2",
        }, allow_redirects=False, timeout=30)
        assert response.status_code == 302, response.text[:3000]
        assert CapacityOverride.objects.get(unit=unit, date=full_day).capacity == 2

        # Four parents book that day on B: two places, two clear refusals.
        answers = []
        for s, (user, kid, enrolled) in zip(sessions, racers):
            _select(s, b, enrolled, kid, unit, [full_day])
            answers.append(_commit(s, b).status_code)
        assert sorted(answers) == [302, 302, 400, 400]
        assert _holding(unit, full_day) == 2
        assert Occupancy.objects.get(unit=unit, group=None, date=full_day).booked == 2

        # Six wrong passwords spread over A and B: the sixth attempt is refused, even with the right password.
        client = _browser()
        for server in (a, b, a, b, a):
            response = _login(client, server, throttled.email, "Mauvais-Mot-De-Passe-1")
            assert response.status_code == 200 and not _logged_in(client, server)
        response = _login(client, b, throttled.email, PASSWORD)
        assert response.status_code != 302 and not _logged_in(client, b) and not _logged_in(client, a)
        assert "tentatives" in response.text.lower()


def test_with_redis_down_pages_logins_and_bookings_keep_working(tmp_path):
    """The servers' cache and broker is a Redis of the test's own, stopped and started again."""
    activity, group, unit = _activity(capacity=10)
    parent, child, enrolment = _enrolled_parent(activity, group)
    _production_password(parent)
    days = _wednesdays(3)
    port = free_port()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
               "--dir", str(tmp_path)]
    redis_process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        env = {"REDIS_URL": f"redis://127.0.0.1:{port}/0", "SECRET_KEY": settings.SECRET_KEY,
               "ALLOWED_HOSTS": PUBLIC_HOST}
        with portal_servers(2, redis_db=redis_db_for_worker(7), **env) as (a, b):
            http = _browser()
            assert _login(http, a, parent.email, PASSWORD).status_code == 302
            _select(http, b, enrolment, child, unit, days[:1])
            assert _commit(http, a).status_code == 302

            redis_process.terminate()
            redis_process.wait(timeout=10)
            for server in (a, b):
                assert http.get(f"{server}/", timeout=30).status_code == 200
                assert http.get(f"{server}/facturation/", timeout=30).status_code == 200
            _select(http, b, enrolment, child, unit, days[1:2])
            assert _commit(http, a).status_code == 302
            other = _browser()
            assert _login(other, b, parent.email, PASSWORD).status_code == 302
            assert _logged_in(other, a)

            redis_process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
            time.sleep(0.5)
            _select(other, a, enrolment, child, unit, days[2:])
            assert _commit(other, b).status_code == 302
            assert http.get(f"{b}/", timeout=30).status_code == 200
        assert set(Booking.objects.filter(child=child, state="reserved").values_list("date", flat=True)) == set(days)
    finally:
        redis_process.terminate()
        redis_process.wait(timeout=10)
