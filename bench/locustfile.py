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
from urllib.parse import urlencode

from locust import between, constant, tag, task
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
