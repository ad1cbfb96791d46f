"""Enrolments and bookings of the city: validated enrolments, bookings in realistic patterns (regular
ALAE and restauration days, Wednesdays, holiday weeks, cancellations, absences), the Occupancy counters
equal to the bookings that hold a place, and a few waiting-list entries."""
import datetime
from collections import defaultdict

from enrolment.models import Booking, Enrolment, Occupancy, WaitingListEntry
from enrolment.rules import PARIS

from .bulk import Copier, Ids
from .shared import LEVELS_BY_AGE, MATERNELLE

COPIED = (Enrolment, Booking, Occupancy, WaitingListEntry)
STATES = Booking.State
STATE_LABELS = {STATES.RESERVED: "Réservé", STATES.PRESENT: "Présent", STATES.ABSENT_BILLED: "Absent facturé"}


def _past_state(rng):
    r = rng.random()
    if r < 0.88:
        return STATES.PRESENT
    if r < 0.94:
        return STATES.CANCELLED
    if r < 0.97:
        return STATES.ABSENT_BILLED
    return STATES.EXCUSED


def _choices(rng, acts, stage, race):
    """What one child does in one season: [(activity key, weekdays or None, unit codes or None)]."""
    chosen = []
    if rng.random() < 0.70:
        days = {0, 1, 3, 4} if rng.random() < 0.75 else set(rng.sample([0, 1, 3, 4], rng.randint(2, 3)))
        chosen.append(("resto", days, ["REP"]))
    if rng.random() < 0.28:
        chosen.append(("alae_matin", {0, 1, 3, 4} if rng.random() < 0.6 else set(rng.sample([0, 1, 3, 4], 2)),
                       ["MAT"]))
    r = rng.random()
    if r < 0.32:
        chosen.append(("alae_soir1", {0, 1, 3, 4} if rng.random() < 0.6 else set(rng.sample([0, 1, 3, 4], 2)),
                       ["SO1"]))
    elif r < 0.42:
        chosen.append(("alae_soir2", {0, 1, 3, 4}, ["SO2"]))
    cl_key = "cl_mat" if stage == "maternelle" else "cl_elem"
    if rng.random() < (0.30 if race else 0.16):
        chosen.append((cl_key, {2}, None))
        if rng.random() < 0.12:
            chosen.append(("bus_mer", {2}, ["BUS"]))
    elif rng.random() < 0.12:
        chosen.append(("garderie", {2}, ["GAR"]))
    went_clv = False
    for k in [k for k in acts if k.startswith("clv_")]:
        if rng.random() < 0.22:
            chosen.append((k, None, None))
            went_clv = True
    if went_clv and rng.random() < 0.1:
        chosen.append(("bus_vac", None, ["BUS"]))
    return chosen


def generate(run, children, cat):
    """Enrolments, bookings, counters and waiting list; returns the billable bookings by
    (first day of the month, régie id, family id) for the invoices."""
    rng, today, now, cur = run.rng, run.today, run.now, run.cur
    e_ids, b_ids = Ids(cur, Enrolment), Ids(cur, Booking)
    counters = defaultdict(int)
    billable = defaultdict(list)  # (month first day, regie id, family id) -> [line tuples]
    by_site = defaultdict(list)
    for a in cat.activities:
        by_site[(a["season"], a["site"])].append(a)
    enrol = Copier(cur, Enrolment, ["id", "child_id", "activity_id", "group_id", "status", "requested_at",
                                    "requested_by_id", "decided_at"], now)
    book = Copier(cur, Booking, ["id", "child_id", "unit_id", "date", "enrolment_id", "state", "created_at",
                                 "updated_at", "booked_by_id", "absence_declared_at", "excuse"], now)
    waiting = []
    holding = set(Booking.HOLDING_STATES)
    billable_states = set(Booking.BILLABLE_STATES)
    enrol_rows = []
    with book:
        for child in children:
            family = child["family"]
            parent_uid = family["guardians"][0]["user_id"]
            for season in (run.school_year - 1, run.school_year):
                age = child["age"] - (1 if season < run.school_year else 0)
                if age < 3:
                    continue
                stage = "maternelle" if LEVELS_BY_AGE[age] in MATERNELLE else "elementaire"
                acts = {a["key"]: a for a in by_site[(season, child["site"])]}
                requested = datetime.datetime.combine(datetime.date(season, 3, 10), datetime.time(9),
                                                      tzinfo=PARIS) + datetime.timedelta(
                    minutes=rng.randint(0, 60 * 24 * 150))
                race = (season == run.school_year and stage == "elementaire" and child["site"] == 0
                        and acts.get("cl_elem") is cat.race_activity)
                for key, weekdays, codes in _choices(rng, acts, stage, race):
                    a = acts.get(key)
                    if a is None:
                        continue
                    group = next((g for g in a["groups"] if g.school_stage in ("", stage)), None)
                    if group is None:
                        continue
                    eid = e_ids.next()
                    enrol_rows.append((eid, child["id"], a["id"], group.id, "validated", requested, parent_uid,
                                       requested))
                    counter_groups = [None] if group.capacity is None else [None, group]
                    for unit_id, day in _plan(rng, cat, a, weekdays, codes, key, race):
                        if day < run.history_start:
                            continue
                        keys = [(unit_id, g.id if g else None, day) for g in counter_groups]
                        past = day < today
                        state = _past_state(rng) if past else (STATES.RESERVED if rng.random() < 0.95
                                                               else STATES.CANCELLED)
                        if state in holding:
                            full = False
                            for k, g in zip(keys, counter_groups):
                                cap = cat.capacity(unit_id, g, day)
                                if cap is not None and counters[k] >= cap:
                                    full = True
                                    break
                            if full:
                                if not past and rng.random() < 0.15:
                                    waiting.append((child["id"], unit_id, day, eid))
                                continue
                            for k in keys:
                                counters[k] += 1
                        bid = b_ids.next()
                        created = requested if cat.units[unit_id]["regular"] else datetime.datetime.combine(
                            day - datetime.timedelta(days=rng.randint(20, 45)), datetime.time(20, 15), tzinfo=PARIS)
                        if created > now:
                            created = now - datetime.timedelta(hours=1)
                        declared = None
                        if state in (STATES.ABSENT_BILLED, STATES.EXCUSED):
                            declared = datetime.datetime.combine(day, datetime.time(8), tzinfo=PARIS)
                        book.row(bid, child["id"], unit_id, day, eid, state, created, created,
                                 parent_uid, declared, "granted" if state == STATES.EXCUSED else "")
                        if state in billable_states:
                            billable[(day.replace(day=1), a["regie"].id, family["id"])].append(
                                (bid, child, eid, unit_id, a, day, STATE_LABELS[state]))
    with enrol:
        for row in enrol_rows:
            enrol.row(*row)
    run.log(f"inscriptions : {enrol.count}, réservations : {book.count}")
    occ = Copier(cur, Occupancy, ["unit_id", "group_id", "date", "booked", "capacity"], now)
    with occ:
        for (unit_id, group_id, day), booked in counters.items():
            if booked:
                occ.row(unit_id, group_id, day, booked,
                        cat.capacity(unit_id, cat.groups[group_id] if group_id else None, day))
    wl = Copier(cur, WaitingListEntry, ["child_id", "unit_id", "date", "enrolment_id", "auto_book", "status",
                                        "created_at"], now)
    seen = set()
    with wl:
        for child_id, unit_id, day, eid in waiting:
            if (child_id, unit_id, day) in seen:
                continue
            seen.add((child_id, unit_id, day))
            wl.row(child_id, unit_id, day, eid, rng.random() < 0.5, "waiting", now - datetime.timedelta(days=3))
    run.counts.update({"inscriptions": enrol.count, "réservations": book.count, "compteurs d'occupation": occ.count,
                       "liste d'attente": wl.count})
    run.log(f"compteurs d'occupation : {occ.count}, liste d'attente : {wl.count}")
    return billable


def _plan(rng, cat, a, weekdays, codes, key, race):
    """(unit_id, date) pairs a child books in activity ``a``, before the capacity check."""
    units = {u["code"]: u["id"] for u in a["units"]}
    days = a["open_days"]
    plan = []
    if codes and a["units"][0]["regular"]:
        # Pre-booked regular days (ALAE, restauration) all season long.
        for d in days:
            if d.weekday() in weekdays:
                plan.extend((units[c], d) for c in codes)
        return plan
    if key.startswith("clv_"):
        # Holiday weeks: whole weeks mostly, by the day.
        weeks = defaultdict(list)
        for d in days:
            weeks[d.isocalendar()[:2]].append(d)
        for wdays in weeks.values():
            if rng.random() < 0.55:
                for d in wdays:
                    r = rng.random()
                    if r < 0.7:
                        plan.extend([(units["JOU"], d), (units["REP"], d)])
                    elif r < 0.85:
                        plan.extend([(units["MAT"], d), (units["REP"], d)])
                    elif r < 0.95:
                        plan.append((units["APM"], d))
        return plan
    if key == "bus_vac":
        return [(units["BUS"], d) for d in days if rng.random() < 0.3]
    # Wednesdays (CL, garderie, bus), booked month by month before the 20th: months whose deadline is
    # past are booked; later months only by one family in four (early birds), never the race children.
    unit_code = codes[0] if codes else ("APR" if rng.random() < 0.75 else "APS")
    for d in days:
        if d.weekday() not in (weekdays or {2}):
            continue
        if d >= cat.rush_month and (race or rng.random() >= 0.25):
            continue
        if rng.random() < 0.75:
            plan.append((units[unit_code], d))
    return plan
