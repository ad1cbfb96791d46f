"""Prepare the opening-morning scenario (bench/locustfile.py ``OpeningParent``): parents who are NOT logged in.

- Every city parent's password is hashed with the code's preferred hasher (``PASSWORD_HASHERS[0]``: PBKDF2
  before issue 17, Argon2id after), once, shared as bench/city_data.py does: the steady state of that code,
  where each login verifies one hash of its own kind and upgrades nothing.
- The month being booked starts empty on every Wednesday activity of every site (bookings of that month
  removed, counters at 0), so that every run starts from the same state.
- ``--parents`` distinct parents (one child each, spread over the sites in a seeded order) enrolled in a
  Wednesday activity: their e-mail, enrolment, unit (« Après-midi avec repas ») and month → ``--out``.

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal_city python bench/prepare_opening.py \
           [--parents 1200] [--out bench-results/opening.json]
"""
import argparse
import json
import random
from pathlib import Path

import common

PASSWORD = "Ville-Portail-2026"  # bench/city_data.py's shared password


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--parents", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--out", default=str(common.ROOT / "bench-results" / "opening.json"))
    args = parser.parse_args()
    common.django_setup()
    # Django and the apps only once common.django_setup() has checked the environment and set up Django.
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import get_hasher, make_password
    from django.db import transaction
    from django.utils import timezone

    from enrolment import rules
    from enrolment.models import Booking, Enrolment, Occupancy, Unit, WaitingListEntry
    from families.models import Guardian

    today = timezone.localdate(timezone.now(), rules.PARIS)
    month = common.rush_month(today)
    end = common.month_last(month)
    hasher = get_hasher()
    users = get_user_model().objects.filter(email__endswith="@ville.portail.example")
    with transaction.atomic():
        stale = users.exclude(password__startswith=f"{hasher.algorithm}$").count()
        if stale:
            users.update(password=make_password(PASSWORD))
        wednesday = Unit.objects.filter(activity__name__contains="Mercredis", activity__season_start__lte=today,
                                        activity__season_end__gte=today)
        removed = Booking.objects.filter(unit__in=wednesday, date__range=(month, end)).delete()[0]
        WaitingListEntry.objects.filter(unit__in=wednesday, date__range=(month, end)).delete()
        Occupancy.objects.filter(unit__in=wednesday, date__range=(month, end)).update(booked=0)
    print(f"passwords: {settings.PASSWORD_HASHERS[0].rsplit('.', 1)[-1]} ({stale} parent(s) rehashed); "
          f"{removed} Wednesday booking(s) of {month:%m/%Y} removed, counters at 0")

    units = {u.activity_id: u.id for u in wednesday.filter(code="APR")}
    seen, parents = set(), []
    enrolments = list(Enrolment.objects.filter(activity_id__in=units, status="validated")
                      .select_related("child").order_by("id"))
    random.Random(args.seed).shuffle(enrolments)
    guardians = {}
    for g in (Guardian.objects.filter(family_id__in={e.child.family_id for e in enrolments}, user__isnull=False)
              .select_related("user").order_by("family_id", "rank")):
        guardians.setdefault(g.family_id, g.user.email)
    for e in enrolments:
        family = e.child.family_id
        if family in seen or family not in guardians:
            continue
        seen.add(family)
        parents.append({"email": guardians[family], "enrolment": e.id, "child": e.child_id,
                        "unit": units[e.activity_id]})
        if len(parents) >= args.parents:
            break
    data = {"month": [month.year, month.month], "password": PASSWORD, "parents": parents}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data))
    print(f"{len(parents)} parents enrolled on Wednesdays (not logged in), month {month:%m/%Y} → {args.out}")


if __name__ == "__main__":
    main()
