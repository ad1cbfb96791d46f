"""The allocation of a request phase, as a pure function: requests, places and criteria in, result out.

No ORM here (``services.py`` loads the inputs and writes the result); anyone holding the inputs can re-run
it and get the same result.

**Order of the families.** Each family is given, for each criterion of the phase in priority order, 0 if
it meets it and 1 if not; families are sorted on that tuple, then on their draw. The draw is

    draw = SHA-256( seed + ":" + family number )   (UTF-8, hexadecimal)

with the seed published before the request phase opens, so the draw cannot be chosen after the requests
are known and anyone can recompute it (``python -c "import hashlib; print(hashlib.sha256(b'SEED:F0042')
.hexdigest())"``). The family's rank is its position in that order (1 first).

**Criteria** (``CRITERIA``): resident of a member commune, a child already attending, siblings (the family
asks for several children), working or single parents with an accepted proof, fewer places at the
previous window. ``services.py`` says which families meet which; « siblings » is derived here from the
requests.

**Places.** Families are served one after the other in rank order. What is given together, or not at all
(a « bundle »): the units a child asked on one day (a meal goes with its presence), and with
« frères et sœurs ensemble » every child of the family asking that day. With « semaines complètes
d'abord », a first round in rank order gives whole weeks (every open day of the week asked, for each
child of the bundle) as one bundle each; a second round in rank order then gives the remaining requests
day by day. With « jour par jour » there is only the second round. A bundle fits when every counter it
needs (the unit's, and the group's when the group has its own capacity) has enough places left.
"""
import datetime
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field

CRITERIA = {
    "resident": "Résidence dans une commune membre",
    "attending": "Enfant déjà accueilli",
    "siblings": "Frères et sœurs demandés ensemble",
    "proof": "Parents qui travaillent ou parent isolé (justificatif accepté)",
    "fewer_places": "Moins de places obtenues à la période précédente",
}
DRAW = "draw"
DRAW_LABEL = "Tirage au sort seul"
WEEKS_FIRST, DAYS = "weeks_first", "days"


@dataclass(frozen=True)
class Request:
    id: int
    family_id: int
    child_id: int
    unit_id: int
    day: datetime.date
    keys: tuple  # the counters the request needs a place on: ((unit_id, group_id or None, day), ...)


@dataclass(frozen=True)
class Family:
    id: int
    number: str
    met: frozenset = frozenset()  # criteria codes the family meets (« siblings » is derived from the requests)


@dataclass(frozen=True)
class Settings:
    seed: str
    criteria: tuple = tuple(CRITERIA)
    siblings_all_or_none: bool = True
    partial_weeks: str = WEEKS_FIRST


@dataclass
class Result:
    granted: set = field(default_factory=set)  # request ids
    refused: list = field(default_factory=list)  # request ids, in rank order (the waiting list's order)
    ranks: dict = field(default_factory=dict)  # {family_id: rank}
    draws: dict = field(default_factory=dict)  # {family_id: SHA-256 hex}
    met: dict = field(default_factory=dict)  # {family_id: [criteria met, in priority order]}
    deciding: dict = field(default_factory=dict)  # {family_id: first criterion met, or DRAW}
    figures: list = field(default_factory=list)  # per (day, unit): see _figures
    digest: str = ""


def draw(seed, number):
    """The family's draw: SHA-256 of « seed:number », hexadecimal."""
    return hashlib.sha256(f"{seed}:{number}".encode()).hexdigest()


def family_order(families, settings):
    """Families sorted by priority (criteria met in the phase's order), then by draw."""
    def key(f):
        return (tuple(0 if c in f.met else 1 for c in settings.criteria), draw(settings.seed, f.number), f.number)
    return sorted(families, key=key)


def allocate(requests, capacities, families, settings, open_days=()):
    """Allocate ``requests`` ([Request]) on ``capacities`` ({counter key: places left, None: unlimited; a key
    not given is unlimited}) to ``families`` ([Family]; one for every family_id of the requests).
    ``open_days``: the window's open days (for whole weeks). Returns a Result."""
    requests = list(requests)
    by_family = defaultdict(list)
    children = defaultdict(set)
    for r in requests:
        by_family[r.family_id].append(r)
        children[r.family_id].add(r.child_id)
    families = [Family(f.id, f.number, frozenset(f.met) | ({"siblings"} if len(children[f.id]) > 1 else set()))
                for f in families if f.id in by_family]
    result = Result()
    order = family_order(families, settings)
    for rank, f in enumerate(order, 1):
        result.ranks[f.id] = rank
        result.draws[f.id] = draw(settings.seed, f.number)
        result.met[f.id] = [c for c in settings.criteria if c in f.met]
        result.deciding[f.id] = result.met[f.id][0] if result.met[f.id] else DRAW
    left = dict(capacities)
    decided = set()

    def owner(r):
        return r.family_id if settings.siblings_all_or_none else (r.family_id, r.child_id)

    def give(bundle):
        need = Counter(k for r in bundle for k in r.keys)
        if any(left.get(k) is not None and left[k] < n for k, n in need.items()):
            return False
        for k, n in need.items():
            if left.get(k) is not None:
                left[k] -= n
        result.granted.update(r.id for r in bundle)
        decided.update(r.id for r in bundle)
        return True

    if settings.partial_weeks == WEEKS_FIRST:
        week_days = defaultdict(set)
        for d in open_days or {r.day for r in requests}:
            week_days[d.isocalendar()[:2]].add(d)
        for f in order:
            weeks = defaultdict(list)
            for r in by_family[f.id]:
                weeks[(owner(r), r.day.isocalendar()[:2])].append(r)
            for (_, week), bundle in sorted(weeks.items(), key=_bundle_order):
                asked = defaultdict(set)
                for r in bundle:
                    asked[r.child_id].add(r.day)
                if all(days >= week_days[week] for days in asked.values()):
                    give(bundle)
    for f in order:
        days = defaultdict(list)
        for r in by_family[f.id]:
            if r.id not in decided:
                days[(owner(r), r.day)].append(r)
        for _, bundle in sorted(days.items(), key=_bundle_order):
            if not give(bundle):
                decided.update(r.id for r in bundle)
    rank = result.ranks
    result.refused = [r.id for r in sorted((r for r in requests if r.id not in result.granted),
                                           key=lambda r: (rank[r.family_id], r.day, r.unit_id, r.child_id))]
    result.figures = _figures(requests, capacities, result, settings)
    result.digest = _digest(requests, result)
    return result


def _bundle_order(item):
    (who, when), _ = item
    return (when, str(who))


def _figures(requests, capacities, result, settings):
    """Per (day, unit): {"day", "unit_id", "demand", "places" (None: unlimited), "granted", "refused",
    "by_criterion": {criterion or DRAW: places given to families whose first criterion met it is}}."""
    rows = {}
    for r in requests:
        row = rows.get((r.day, r.unit_id))
        if row is None:
            row = rows[(r.day, r.unit_id)] = {
                "day": r.day.isoformat(), "unit_id": r.unit_id, "demand": 0,
                "places": capacities.get((r.unit_id, None, r.day)), "granted": 0, "refused": 0,
                "by_criterion": {c: 0 for c in (*settings.criteria, DRAW)},
            }
        row["demand"] += 1
        if r.id in result.granted:
            row["granted"] += 1
            row["by_criterion"][result.deciding[r.family_id]] += 1
        else:
            row["refused"] += 1
    return [rows[k] for k in sorted(rows)]


def _digest(requests, result):
    """SHA-256 of the result (each request by child, unit and day: granted or not; each family's rank): two
    runs on the same inputs, on this database or a copy, give the same digest."""
    lines = sorted(f"{r.child_id}:{r.unit_id}:{r.day.isoformat()}:{int(r.id in result.granted)}" for r in requests)
    lines += sorted(f"rank:{family_id}:{rank}" for family_id, rank in result.ranks.items())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
