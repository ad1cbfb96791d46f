"""Demo data: the next holiday window opens with a request phase (open now, closing in ten days), its
rules set, the demo children enrolled and some families' requests already recorded (through the basket
commit, as a parent's « Terminer » would). The first demo family has asked nothing yet: log in as it to
try the request phase."""
import datetime

from django.utils import timezone

from enrolment import loaders, rules
from enrolment.models import Activity, BookingWindow, Enrolment
from enrolment.services import BOOK, Change, booking_commit, eligible_groups
from families.models import Child
from portal.demo import register as register_demo
from portal.errors import DomainError

from .services import phase_for_window


def populate(*, stdout, rng):
    now = timezone.now()
    today = timezone.localdate(now, rules.PARIS)
    window = (BookingWindow.objects.filter(activity__booking_rule=Activity.BookingRule.WINDOW,
                                           period_start__gt=today + datetime.timedelta(days=14))
              .select_related("activity").order_by("period_start").first())
    if window is None:
        stdout.write("Ouverture équitable : aucune période de vacances à venir, pas de phase de demandes.")
        return
    close = now + datetime.timedelta(days=10)
    window.opening_mode = BookingWindow.OpeningMode.REQUESTS
    window.requests_open_at = now - datetime.timedelta(days=1)
    window.requests_close_at = close
    results = datetime.datetime.combine(timezone.localdate(close, rules.PARIS) + datetime.timedelta(days=1),
                                        datetime.time(18, 0), tzinfo=rules.PARIS)
    window.results_at = results
    window.opens_on = max(window.opens_on or today, timezone.localdate(results, rules.PARIS))
    window.closes_on = max(window.closes_on, window.opens_on + datetime.timedelta(days=7))
    window.save()
    phase = phase_for_window(window)
    phase.member_communes = "Annonay\n07100"
    phase.save(update_fields=["member_communes"])
    activity = window.activity
    children = list(Child.objects.filter(family__is_demo=True, is_active=True).select_related("family")
                    .order_by("family__number", "birth_date"))
    kids = [c for c in children if c.school_level in rules.MATERNELLE + rules.ELEMENTAIRE]
    enrolments = []
    for child in kids:
        groups = eligible_groups(child=child, activity=activity)
        if groups and not Enrolment.objects.filter(child=child, activity=activity).exists():
            enrolments.append(Enrolment.objects.create(child=child, activity=activity, group=groups[0],
                                                       requested_at=now, decided_at=now,
                                                       status=Enrolment.Status.VALIDATED))
    first_family = kids[0].family_id if kids else None
    units = {u.code.rsplit("-", 1)[-1]: u for u in activity.units.all()}
    days = [d for d in _open_days(activity, window)][:10]
    asked = 0
    by_family = {}
    for e in enrolments:
        by_family.setdefault(e.child.family, []).append(e)
    for family, family_enrolments in by_family.items():
        if family.pk == first_family or rng.random() < 0.3:
            continue
        unit = units.get("J") or next(iter(units.values()))
        chosen = [d for d in days if rng.random() < 0.6]
        changes = [Change(d, e.child_id, unit.id, BOOK) for e in family_enrolments for d in chosen]
        if not changes:
            continue
        try:
            result = booking_commit(family=family, changes=changes, by=None, now=now, send_email=False)
        except DomainError:
            continue
        asked += result["asked"]
    stdout.write(f"Ouverture équitable : « {window} » en phase de demandes jusqu'au "
                 f"{timezone.localtime(close):%d/%m/%Y}, {len(enrolments)} inscriptions, {asked} demandes.")


def _open_days(activity, window):
    calendar = loaders.calendars_for([activity])[activity.id]
    return calendar.open_days(window.period_start, window.period_end)


register_demo(populate, order=25)  # after enrolment's catalogue and bookings
