"""« Passage de classe »: every active child moves up a class for the new school year, once per school year.

PS → MS → GS → CP → CE1 → CE2 → CM1 → CM2 → collège (``rules.SCHOOL_LEVEL_NEXT``); a child not at school yet or
already at collège does not move. Entering CP and leaving CM2 change school: staff are shown those children
(the new school is not known here) and they stay listed on the move-up's record.

Groups follow the class (``rules.group_eligibility``: a « maternelle » group takes TPS–GS, an « élémentaire »
group CP–CM2): each pending or validated enrolment of a moving child in an activity of the new school year
whose group no longer fits the new class moves to the first group of the same activity that fits. It is left
for staff, and said so, when no group fits, or when the enrolment already holds places in a group with its
own capacity (moving it would move counted places: staff change it knowingly).

Preview first (``move_up_preview``), then ``move_up_apply``: one transaction, audited (one entry for the run,
one per family), refused for a school year already done (``MoveUp.school_year`` is unique).
"""
import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from families.models import Child
from portal.errors import EnrolmentError
from portal.models import AuditLog

from .. import rules
from ..models import Booking, Enrolment, Group, MoveUp, MoveUpChange

# Activities starting from this day of the school year's first calendar year are « next season »: a summer
# holiday centre of July still takes the child in the class just finished.
NEW_SEASON_FROM = (8, 15)
LEVEL_LABELS = dict(Child.SchoolLevel.choices)


@dataclass
class ChildMove:
    child: Child
    old_level: str
    new_level: str
    school_change: str = ""
    notes: list = field(default_factory=list)

    @property
    def old_label(self):
        return LEVEL_LABELS.get(self.old_level, self.old_level)

    @property
    def new_label(self):
        return LEVEL_LABELS.get(self.new_level, self.new_level)


@dataclass
class GroupMove:
    enrolment: Enrolment
    old_group: Group
    new_group: Group


@dataclass
class MoveUpPlan:
    school_year: int
    moves: list  # [ChildMove]
    group_moves: list  # [GroupMove]
    problems: list  # [(Enrolment, French reason)]
    done: MoveUp = None

    @property
    def label(self):
        return rules.school_year_label(self.school_year)

    @property
    def by_level(self):
        """[(old label, new label, number of children)] in class order."""
        counts = Counter((m.old_level, m.new_level) for m in self.moves)
        order = list(rules.SCHOOL_LEVEL_NEXT)
        return [(LEVEL_LABELS[o], LEVEL_LABELS[n], c) for (o, n), c in sorted(counts.items(),
                                                                             key=lambda i: order.index(i[0][0]))]

    @property
    def school_changes(self):
        return [m for m in self.moves if m.school_change]


def move_up_preview(*, school_year):
    """What the move-up of ``school_year`` would change (a fixed number of queries), or, when it has been done,
    the record of it (``done``)."""
    done = MoveUp.objects.filter(school_year=school_year).select_related("applied_by").first()
    if done is not None:
        return MoveUpPlan(school_year=school_year, moves=[], group_moves=[], problems=[], done=done)
    return _plan(school_year)


def _plan(school_year):
    children = list(Child.objects.filter(is_active=True, school_level__in=list(rules.SCHOOL_LEVEL_NEXT))
                    .order_by("last_name", "first_name", "pk"))
    moves = {}
    for child in children:
        new, reason = rules.next_school_level(child.school_level)
        moves[child.pk] = ChildMove(child, child.school_level, new, reason)
    group_moves, problems = _group_moves(school_year, moves)
    for gm in group_moves:
        moves[gm.enrolment.child_id].notes.append(
            f"« {gm.enrolment.activity.name} » : groupe {gm.old_group.name} → {gm.new_group.name}")
    for enrolment, reason in problems:
        moves[enrolment.child_id].notes.append(f"« {enrolment.activity.name} » : {reason}")
    return MoveUpPlan(school_year=school_year, moves=list(moves.values()), group_moves=group_moves,
                      problems=problems)


def _group_moves(school_year, moves):
    season_from = datetime.date(school_year, *NEW_SEASON_FROM)
    enrolments = list(Enrolment.objects.filter(
        child__is_active=True, child__school_level__in=list(rules.SCHOOL_LEVEL_NEXT),
        status__in=Enrolment.ACTIVE_STATUSES, activity__season_start__gte=season_from,
    ).select_related("activity", "group").order_by("activity__name", "pk"))
    groups = defaultdict(list)
    for g in Group.objects.filter(activity_id__in={e.activity_id for e in enrolments}).order_by("pk"):
        groups[g.activity_id].append(g)
    holding = dict(Booking.objects.filter(enrolment__in=enrolments, state__in=Booking.HOLDING_STATES)
                   .values_list("enrolment").annotate(n=Count("pk")).values_list("enrolment", "n"))
    group_moves, problems = [], []
    for e in enrolments:
        move = moves[e.child_id]
        e.child = move.child  # loaded already: the preview lists enrolments by child name

        def fits(g, move=move, e=e):
            return rules.group_eligibility(school_stage=g.school_stage, min_age=g.min_age, max_age=g.max_age,
                                           birth_date=move.child.birth_date, school_level=move.new_level,
                                           on=e.activity.season_start).ok

        if fits(e.group):
            continue
        target = next((g for g in groups[e.activity_id] if g.pk != e.group_id and fits(g)), None)
        if target is None:
            problems.append((e, f"aucun groupe ne convient en {move.new_label}, inscription à revoir"))
        elif holding.get(e.pk) and (e.group.capacity is not None or target.capacity is not None):
            problems.append((e, f"réservations déjà faites dans le groupe {e.group.name} (places comptées) : "
                                f"changer de groupe à la main vers {target.name}"))
        else:
            group_moves.append(GroupMove(e, e.group, target))
    return group_moves, problems


def move_up_apply(*, school_year, by, now=None):
    """Apply the move-up of ``school_year`` as the preview shows it, in one transaction; audited. Refused when
    it has already been done for that school year."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            # The unique school year is the lock: a second run (or a double click) waits, then fails here.
            record = MoveUp.objects.create(school_year=school_year, applied_at=now, applied_by=by)
            plan = _plan(school_year)
            by_transition = defaultdict(list)
            for m in plan.moves:
                by_transition[m.new_level].append(m.child.pk)
            for new_level, ids in by_transition.items():
                Child.objects.filter(pk__in=ids).update(school_level=new_level, updated_at=now)
            by_group = defaultdict(list)
            for gm in plan.group_moves:
                by_group[gm.new_group.pk].append(gm.enrolment.pk)
            for group_id, ids in by_group.items():
                Enrolment.objects.filter(pk__in=ids).update(group_id=group_id)
            MoveUpChange.objects.bulk_create([
                MoveUpChange(move_up=record, child=m.child, old_level=m.old_level, new_level=m.new_level,
                             school_change=m.school_change, note=" ; ".join(m.notes)[:300]) for m in plan.moves
            ], batch_size=1000)
            record.children_moved, record.enrolments_moved = len(plan.moves), len(plan.group_moves)
            record.save(update_fields=["children_moved", "enrolments_moved"])
            AuditLog.objects.create(
                actor=by, action="enrolment.move_up",
                summary=f"Passage de classe {plan.label} : {len(plan.moves)} enfant(s), "
                        f"{len(plan.school_changes)} changement(s) d'école, {len(plan.group_moves)} inscription(s) "
                        f"changée(s) de groupe"[:300],
                new_values={"school_year": school_year, "children": len(plan.moves),
                            "enrolments": [[gm.enrolment.pk, gm.old_group.pk, gm.new_group.pk]
                                           for gm in plan.group_moves]},
            )
            AuditLog.objects.bulk_create([
                AuditLog(actor=by, family_id=m.child.family_id, action="enrolment.move_up",
                         summary=f"Passage de classe {plan.label} : {m.child} {m.old_label} → {m.new_label}"[:300],
                         old_values={"school_level": m.old_level}, new_values={"school_level": m.new_level})
                for m in plan.moves
            ], batch_size=1000)
    except IntegrityError:
        raise EnrolmentError(f"Le passage de classe {rules.school_year_label(school_year)} a déjà été fait.") from None
    return record
