"""What every step of the city shares: the run (seed, reference day, COPY cursor, counts, log), the city
logins, the school names and levels, and month arithmetic."""
import datetime
import random
import time

from enrolment.rules import PARIS

CITY_PASSWORD = "Ville-Portail-2026"
CITY_EMAIL_DOMAIN = "ville.portail.example"
NUMBER_PREFIX = "V"

SCHOOL_NAMES = ["Jules Ferry", "Jean Moulin", "Louise Michel", "Victor Hugo", "Pasteur", "Marie Curie",
                "Jean Jaurès", "Paul Bert", "Jacques Prévert", "Anatole France", "Condorcet", "Simone Veil"]
LEVELS_BY_AGE = {3: "PS", 4: "MS", 5: "GS", 6: "CP", 7: "CE1", 8: "CE2", 9: "CM1", 10: "CM2"}
MATERNELLE = ("TPS", "PS", "MS", "GS")


class CityError(Exception):
    """The city cannot be generated here; the message (French) says why."""


def city_email(family_index, rank):
    """The login of guardian ``rank`` of the ``family_index``-th city family (0-based)."""
    return f"parent{family_index:05d}.{rank}@{CITY_EMAIL_DOMAIN}"


def family_number(family_index):
    """The number of the ``family_index``-th city family (0-based): V0000001, V0000002…"""
    return f"{NUMBER_PREFIX}{family_index + 1:07d}"


def month_iter(start, end):
    day = start.replace(day=1)
    while day <= end:
        yield day
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_end(first):
    return (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


class Run:
    """One generation: the random generator every step draws from, in a fixed order (so a seed gives
    one city), the reference day and moment, the psycopg cursor for COPY, and the counts printed at
    the end."""

    def __init__(self, *, seed, today, out):
        self.rng = random.Random(seed)
        self.today = today
        self.now = datetime.datetime.combine(today, datetime.time(7, 0), tzinfo=PARIS)
        self.school_year = today.year if today.month >= 9 else today.year - 1
        # Bookings of the previous season are kept from the first month of the invoiced year on.
        self.history_start = (today.replace(day=1) - datetime.timedelta(days=365)).replace(day=1)
        self.out = out
        self.cur = None  # the psycopg cursor, set inside the loading transaction
        self.counts = {}
        self.t0 = time.monotonic()

    def write(self, line=""):
        self.out.write(line + "\n")

    def log(self, what):
        self.write(f"[{time.monotonic() - self.t0:7.1f} s] {what}")
