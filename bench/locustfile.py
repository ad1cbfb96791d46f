"""Locust scenarios for the city benchmark (run by bench/run_load.sh; headless, 127.0.0.1 only).

- ``Reader``: a parent browsing — home dashboard, a child's month calendar, the child's planning grid,
  invoices list, an invoice PDF, messages inbox and a thread. Tag ``core`` marks the three pages with
  an unloaded-latency budget (home, month calendar, invoices list).
- ``Racer``: a parent on deadline evening — "Sélection en masse" of every Wednesday of the month being
  booked, the recap, "Terminer"; then the same for cancelling, and again. All racers share the same
  days and unit, so they race for the same places. A commit refused because a day is full (HTTP 400
  with "complet", nothing written) is an expected, clear refusal, counted apart: the parent then
  removes the full days from the basket and commits the others. Anything else is an error.
- ``HolidayRacer``: the same on the morning a holiday booking window opens — « Journée » every day of
  the first holiday week, for parents of the holiday centre.

Users come from bench-results/users.json (bench/prepare.py): one real session per parent.
Environment: BENCH_USERS (path), BENCH_WAIT (max think time in seconds, default 0 = saturation),
BENCH_PDF_WEIGHT (weight of the invoice PDF in the read mix, default 3 of 100; 0 leaves it out).
"""
import itertools
import json
import os
import random
import re
import threading
import time
from urllib.parse import urlencode

from gevent import sleep as gevent_sleep, spawn_later as gevent_spawn_later
from locust import between, constant, events, tag, task
from locust.exception import StopUser
from locust.contrib.fasthttp import FastHttpUser

DATA = json.load(open(os.environ.get("BENCH_USERS", "bench-results/users.json")))
WAIT = float(os.environ.get("BENCH_WAIT", "0"))
PDF_WEIGHT = int(os.environ.get("BENCH_PDF_WEIGHT", "3"))
_lock = threading.Lock()
_readers = itertools.cycle(DATA["readers"])
_accounts = {"racers": iter(DATA["racers"]), "holiday_racers": iter(DATA.get("holiday_racers", []))}
YEAR, MONTH = DATA["month"]
FULL_DAY = re.compile(r"(\d\d)/(\d\d)/(\d{4})[^<]{0,200}?: complet")


class Parent(FastHttpUser):
    abstract = True
    wait_time = between(0, WAIT) if WAIT else constant(0)
    insecure = True

    def login_as(self, account):
        self.account = account
        self.client_headers = {"Cookie": f"sessionid={account['session']}; csrftoken={account['csrf']}",
                               "Referer": self.host + "/"}

    def get(self, url, name):
        with self.client.get(url, name=name, headers=self.client_headers, allow_redirects=False,
                             catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")  # 302 to the login page included: the session must hold
            else:
                r.success()
        return r

    def post(self, url, name, data):
        # Encoded here: the client's own encoding would not repeat the key of a list (several weekdays).
        body = urlencode(dict(data, csrfmiddlewaretoken=self.account["csrf"]), doseq=True)
        headers = dict(self.client_headers, **{"Content-Type": "application/x-www-form-urlencoded"})
        return self.client.post(url, name=name, data=body, headers=headers, allow_redirects=False,
                                catch_response=True)


class Reader(Parent):
    def on_start(self):
        with _lock:
            self.login_as(next(_readers))
        self.rng = random.Random()

    @tag("core")
    @task(30)
    def home(self):
        self.get("/", "home")

    @tag("core")
    @task(25)
    def month_calendar(self):
        e = self.rng.choice(self.account["enrolments"])
        self.get(f"/inscriptions/planning/{e}/{YEAR}/{MONTH}/", "month calendar")

    @task(8)
    def child_planning(self):
        c = self.rng.choice(self.account["children"])
        self.get(f"/inscriptions/enfant/{c}/{YEAR}/{MONTH}/", "child planning (all activities)")

    @tag("core")
    @task(20)
    def invoices(self):
        self.get("/facturation/", "invoices list")

    def invoice_pdf(self):
        if self.account["invoices"]:
            r = self.get(f"/facturation/factures/{self.rng.choice(self.account['invoices'])}.pdf", "invoice PDF")
            if r.status_code == 200 and not (r.content or b"").startswith(b"%PDF"):
                r.failure("not a PDF")

    if PDF_WEIGHT:  # BENCH_PDF_WEIGHT=0: the HTML pages alone (a PDF costs ten pages of CPU)
        invoice_pdf = task(PDF_WEIGHT)(invoice_pdf)

    @task(10)
    def messages(self):
        self.get("/messagerie/", "messages inbox")

    @task(4)
    def thread(self):
        if self.account["threads"]:
            self.get(f"/messagerie/{self.rng.choice(self.account['threads'])}/", "message thread")


class Racer(Parent):
    """Deadline evening: book every Wednesday of the month, recap, commit; cancel them; again."""

    accounts = "racers"

    def on_start(self):
        with _lock:
            account = next(_accounts[self.accounts], None)
        if account is None:
            self.stop()
            return
        self.login_as(account)
        self.action = "book"

    @task
    def book_month_of_wednesdays(self):
        a = self.account
        with self.post(f"/inscriptions/planning/{a['enrolment']}/selection/masse/", "booking: mass selection",
                       {"start": a["start"], "end": a["end"], "action": self.action, "children": str(a["child"]),
                        "weekdays": a["weekdays"], "units": str(a["unit"])}) as r:
            if r.status_code == 302:
                r.success()
            else:
                r.failure(f"HTTP {r.status_code}")
                return
        self.get("/inscriptions/panier/", "booking: recap")
        if self.commit("booking: commit"):
            return
        if self.full_days:
            # Like a parent told "complet": drop the full days from the basket and finish with the others.
            for day in self.full_days:
                with self.post("/inscriptions/panier/", "booking: remove a full day",
                               {"action": "remove", "key": f"{a['child']}:{a['unit']}:{day}"}) as r:
                    r.success() if r.status_code == 302 else r.failure(f"HTTP {r.status_code}")
            if self.commit("booking: commit without the full days"):
                return
        with self.post("/inscriptions/panier/", "booking: clear basket", {"action": "clear"}) as c:
            c.success() if c.status_code == 302 else c.failure(f"HTTP {c.status_code}")
        self.action = "cancel" if self.action == "book" else "book"

    def commit(self, name):
        """POST "Terminer": True when committed; a clear refusal (full / nothing to do) is not an error."""
        self.full_days = []
        with self.post("/inscriptions/panier/", name, {"action": "commit"}) as r:
            text = r.text or ""
            if r.status_code == 302:
                r.success()
                self.action = "cancel" if self.action == "book" else "book"
                return True
            if r.status_code == 400 and ("complet" in text or "Aucune modification à enregistrer" in text):
                r.success()
                self.environment.events.request.fire(
                    request_type="INFO", name=f"{name}: refused (full / nothing to do)", response_time=0,
                    response_length=0, exception=None, context={})
                self.full_days = sorted({f"{y}-{m}-{d}" for d, m, y in FULL_DAY.findall(text)})
                return False
            r.failure(f"HTTP {r.status_code}")
            return False


class HolidayRacer(Racer):
    """A holiday booking window opens: book « Journée » every day of the first holiday week, recap, commit;
    cancel them; again."""

    accounts = "holiday_racers"


class OnePage(Reader):
    """One page at a time, no think time (``--tags reference``, ``--tags month`` or ``--tags home``): the
    throughput of the month calendar and of the home page against the reference page (bench/reference.py),
    measured in the same run so that their ratio holds whatever the machine's CPU."""

    @tag("reference")
    @task
    def reference(self):
        c = self.rng.choice(self.account["children"])
        self.get(f"/bench/reference/{c}/{YEAR}/{MONTH}/", "reference page")

    @tag("month")
    @task
    def month_only(self):
        self.month_calendar()

    @tag("home")
    @task
    def home_only(self):
        self.home()


# --------------------------------------------------------------------------------------------- opening morning
OPENING = json.load(open(os.environ["BENCH_OPENING"])) if os.environ.get("BENCH_OPENING") else None
_opening_parents = iter(enumerate(OPENING["parents"])) if OPENING else iter(())
OPENING_RATE = float(os.environ.get("BENCH_OPENING_RATE", "1"))
_start = []
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FREE_BOX = re.compile(r'name="case" value="([0-9-]+):(\d+)" id="[^"]+"(?! checked)>')
CHECKED_BOX = re.compile(r'name="case" value="([0-9-]+:\d+)" id="[^"]+" checked>')


class OpeningParent(FastHttpUser):
    """The morning bookings open (issue 17): a parent who is NOT logged in arrives, logs in through the real
    form, opens the month calendar in edit mode, ticks 2–4 free Wednesdays, checks the recap and confirms,
    thinking 1–3 s between steps (four pauses: about 8 s). One journey per parent, parent i arriving
    i / ``BENCH_OPENING_RATE`` seconds after the first (spawn every user early: ``-u N -r 50``). Each parent comes from an address of its own (``X-Forwarded-For``, the server trusts
    one proxy), as parents at home do. A full day is a clear refusal (counted apart): the parent drops it and
    confirms the others. The 503 of the « salle d'attente » is waited out (``Retry-After``) and retried, as
    its page does; 503, 429 and 5xx are counted as failures named by their status. « arrival → booking
    confirmed » is the time from the login page to the confirmed booking, think time included."""

    wait_time = constant(0)
    insecure = True
    think = (1.0, 3.0)

    def on_start(self):
        with _lock:
            item = next(_opening_parents, None)
        if item is None:
            raise StopUser()
        index, self.account = item
        # Arrivals at a fixed rate, whatever locust's spawning does with a fractional rate: parent i arrives
        # i / BENCH_OPENING_RATE seconds after the first (all users are spawned early and wait, idle).
        with _lock:
            if not _start:
                _start.append(time.monotonic())
        gevent_sleep(max(0.0, _start[0] + index / OPENING_RATE - time.monotonic()))
        self.forwarded = {"X-Forwarded-For": f"198.18.{index // 250}.{index % 250 + 1}"}
        self.rng = random.Random(index)

    def pause(self):
        gevent_sleep(self.rng.uniform(*self.think))

    def send(self, method, url, name, data=None, expect=(200,)):
        """One request, retried after a 503's Retry-After (at most 20 times), like the waiting room's page."""
        for _ in range(20):
            headers = dict(self.forwarded)
            body = None
            if data is not None:
                body = urlencode(dict(data, csrfmiddlewaretoken=self.csrf), doseq=True)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            with self.client.request(method, url, name=name, data=body, headers=headers, allow_redirects=False,
                                     catch_response=True) as r:
                if r.status_code in expect:
                    r.success()
                    return r
                if r.status_code == 503 and r.headers.get("Retry-After"):
                    r.failure("HTTP 503 (salle d'attente)")
                    gevent_sleep(float(r.headers["Retry-After"]))
                    continue
                if r.status_code == 400 and name.startswith("opening: commit") and "complet" in (r.text or ""):
                    r.success()
                    return r
                r.failure(f"HTTP {r.status_code}")
                return None
        return None

    @task
    def journey(self):
        try:
            self._journey()
        finally:
            _opening_done()
        raise StopUser()

    def _journey(self):
        a = self.account
        year, month = OPENING["month"]
        arrived = time.monotonic()
        page = self.send("GET", "/compte/login/", "opening: login page")
        if page is None:
            return
        self.csrf = CSRF_FIELD.search(page.text).group(1)
        self.pause()  # typing the password
        if self.send("POST", "/compte/login/", "opening: login",
                     {"login": a["email"], "password": OPENING["password"], "remember": "on"}, expect=(302,)) is None:
            return
        home = self.send("GET", "/", "opening: home")
        if home is None:
            return
        self.csrf = CSRF_FIELD.search(home.text).group(1) if CSRF_FIELD.search(home.text) else self.csrf
        self.pause()
        url = f"/inscriptions/planning/{a['enrolment']}/{year}/{month}/"
        cal = self.send("GET", url + "?modifier=1", "opening: month calendar (edit)")
        if cal is None:
            return
        self.csrf = CSRF_FIELD.search(cal.text).group(1)
        free = [f"{day}:{unit}" for day, unit in FREE_BOX.findall(cal.text) if unit == str(a["unit"])]
        wanted = self.rng.sample(free, min(len(free), self.rng.randint(2, 4)))
        if not wanted:  # every Wednesday already full
            self.environment.events.request.fire(request_type="INFO", name="opening: nothing left to book",
                                                 response_time=0, response_length=0, exception=None, context={})
            return
        self.pause()  # ticking
        if self.send("POST", url, "opening: tick Wednesdays",
                     {"case": CHECKED_BOX.findall(cal.text) + wanted, "suite": "recap"}, expect=(302,)) is None:
            return
        if self.send("GET", "/inscriptions/panier/", "opening: recap") is None:
            return
        self.pause()  # reading the recap
        r = self.send("POST", "/inscriptions/panier/", "opening: commit", {"action": "commit"}, expect=(302,))
        if r is not None and r.status_code == 400:
            self.environment.events.request.fire(request_type="INFO", name="opening: commit refused (full)",
                                                 response_time=0, response_length=0, exception=None, context={})
            for d, m, y in FULL_DAY.findall(r.text):
                self.send("POST", "/inscriptions/panier/", "opening: remove a full day",
                          {"action": "remove", "key": f"{a['child']}:{a['unit']}:{y}-{m}-{d}"},
                          expect=(302,))
            r = self.send("POST", "/inscriptions/panier/", "opening: commit without the full days",
                          {"action": "commit"}, expect=(302,))
        if r is not None and r.status_code == 302:
            self.environment.events.request.fire(
                request_type="JOURNEY", name="arrival → booking confirmed",
                response_time=(time.monotonic() - arrived) * 1000, response_length=0, exception=None, context={})


_finished = [0]


@events.init.add_listener
def _keep_environment(environment, **kwargs):
    _finished.append(environment)


def _opening_done():
    """The last parent's journey over: end the run (locust would otherwise wait for its -t)."""
    with _lock:
        _finished[0] += 1
        if _finished[0] == len(OPENING["parents"]):
            gevent_spawn_later(1, _finished[1].runner.quit)
