"""Deterministic demo catalogue (seed 003) for the current school year, with enrolments and bookings.

Two structures: "Périscolaire et restauration" (ALAE matin/soir, restauration scolaire, garderie du
mercredi) and "Accueil de loisirs Les Castors" (CL mercredis maternel/élémentaire, CLV for the five holiday
periods, bus du centre). Runs after families.demo; bookings go through the booking services so the
occupancy counters are right. One Wednesday is nearly full and one is full with a waiting list.
"""
import datetime

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.utils import timezone

from families import counters
from families.demo import STAFF_EMAIL
from families.models import Child, Guardian
from portal.demo import register as register_demo
from portal.errors import DomainError

from . import rules, services
from .models import (
    Activity, ActivityType, Booking, BookingWindow, CapacityOverride, ClosureDay, Enrolment, Group, OpeningPeriod,
    SchoolHoliday, Structure, Unit,
)
from .services import BOOK, Change
from .services.calendar import school_holiday_periods

T = datetime.time
User = get_user_model()
WEEK = ("monday", "tuesday", "thursday", "friday")


def _holidays(school_year):
    """School holidays of the organisation's zone A for the school year (package data, or a fixed fallback)."""
    periods = [
        (name, s, e) for name, s, e in school_holiday_periods(zone="A", years=[school_year, school_year + 1])
        if datetime.date(school_year, 9, 1) <= s <= datetime.date(school_year + 1, 8, 31) and "Pont" not in name
    ]
    if len(periods) < 5:
        y = school_year
        periods = [
            ("Vacances de la Toussaint", datetime.date(y, 10, 18), datetime.date(y, 11, 2)),
            ("Vacances de Noël", datetime.date(y, 12, 19), datetime.date(y + 1, 1, 3)),
            ("Vacances d'hiver", datetime.date(y + 1, 2, 6), datetime.date(y + 1, 2, 21)),
            ("Vacances de printemps", datetime.date(y + 1, 4, 3), datetime.date(y + 1, 4, 18)),
            ("Vacances d'été", datetime.date(y + 1, 7, 4), datetime.date(y + 1, 8, 31)),
        ]
    for name, s, e in periods:
        SchoolHoliday.objects.get_or_create(name=name, start_date=s, end_date=e)
    return periods


def _activity(activity_type, name, start, end, **kwargs):
    return Activity.objects.create(activity_type=activity_type, name=name, season_start=start, season_end=end,
                                   **kwargs)


def _units(activity, specs):
    made = {}
    for order, (code, name, start, end, capacity, regular) in enumerate(specs):
        made[code] = Unit.objects.create(activity=activity, name=name, code=code, start_time=start, end_time=end,
                                         capacity=capacity, is_regular=regular, order=order)
    return made


def _leisure_units(activity, prefix, capacity):
    u = _units(activity, [
        (f"{prefix}-J", "Journée", T(8, 30), T(17, 30), capacity, False),
        (f"{prefix}-M", "Matin", T(8, 30), T(12, 0), capacity // 2, False),
        (f"{prefix}-AM", "Après-midi", T(13, 30), T(17, 30), capacity // 2, False),
        (f"{prefix}-R", "Repas", T(12, 0), T(13, 30), capacity, False),
    ])
    u[f"{prefix}-J"].incompatible_units.set([u[f"{prefix}-M"], u[f"{prefix}-AM"]])
    # A meal goes with a presence: the morning, the afternoon or the whole day (« Journée + Repas »).
    u[f"{prefix}-R"].required_units.set([u[f"{prefix}-J"], u[f"{prefix}-M"], u[f"{prefix}-AM"]])
    return u


def populate(*, stdout, rng):
    today = timezone.localdate(timezone.now(), rules.PARIS)
    y = today.year if today.month >= 9 else today.year - 1
    season = f"{y}/{y + 1}"
    start, end = datetime.date(y, 9, 1), datetime.date(y + 1, 7, 3)
    holidays = _holidays(y)

    peri = Structure.objects.create(name="Périscolaire et restauration – École Jules Ferry",
                                    kind=Structure.Kind.AFTER_SCHOOL, phone="04 75 32 10 21")
    castors = Structure.objects.create(name="Accueil de loisirs Les Castors", kind=Structure.Kind.LEISURE,
                                       address="Chemin de la Lombardière, 07100 Annonay", phone="04 75 32 10 22")
    t_alae = ActivityType.objects.create(structure=peri, name="Accueil périscolaire",
                                         kind=ActivityType.Kind.ALAE)
    t_rest = ActivityType.objects.create(structure=peri, name="Restauration scolaire",
                                         kind=ActivityType.Kind.CATERING)
    t_gard = ActivityType.objects.create(structure=peri, name="Garderie", kind=ActivityType.Kind.DAYCARE)
    t_cl = ActivityType.objects.create(structure=castors, name="Centre de loisirs",
                                       kind=ActivityType.Kind.LEISURE_CENTRE)
    t_bus = ActivityType.objects.create(structure=castors, name="Bus du centre", kind=ActivityType.Kind.TRANSPORT)
    enrol_window = {"enrolment_opens": datetime.date(y, 3, 10), "enrolment_closes": datetime.date(y + 1, 6, 30)}

    regular = {}
    for key, atype, name, public, specs, cap in [
        ("alae_m", t_alae, "ALAE Matin", "Accueil du matin avant l'école",
         [("ALAE-M", "Matin 7 h 30 – 8 h 30", T(7, 30), T(8, 30), 40, True)], 40),
        ("alae_s", t_alae, "ALAE Soir", "Accueil du soir après l'école",
         [("ALAE-S", "Soir 16 h 30 – 18 h 30", T(16, 30), T(18, 30), 40, True),
          # Not regular: booked on the days a family needs it, outside the contract (« hors contrat »).
          ("ALAE-S2", "Soir tardif 18 h 30 – 19 h", T(18, 30), T(19, 0), 20, False)], 40),
        ("rest", t_rest, "Restauration scolaire", "Cantine", [("REPAS", "Repas", T(11, 30), T(13, 30), 120, True)],
         120),
    ]:
        a = _activity(atype, f"{season} - {name}", start, end, auto_validate=True, prebook_regular=True,
                      public_name=public, **enrol_window)
        OpeningPeriod.objects.create(activity=a, start_date=start, end_date=end, **{d: True for d in WEEK})
        Group.objects.create(activity=a, name="Tous niveaux", min_age=2, max_age=11)
        _units(a, specs)
        regular[key] = a
    garderie = _activity(t_gard, f"{season} - Garderie du mercredi", start, end, auto_validate=True,
                         public_name="Garderie du mercredi matin", **enrol_window)
    OpeningPeriod.objects.create(activity=garderie, start_date=start, end_date=end, wednesday=True)
    Group.objects.create(activity=garderie, name="Tous niveaux")
    _units(garderie, [("GARD-MER", "Garderie 7h30-8h30", T(7, 30), T(8, 30), 20, False)])

    cl = {}
    for key, name, stage, cap in [("mat", "CL Maternel Mercredis", "maternelle", 24),
                                  ("elem", "CL Élémentaire Mercredis", "elementaire", 36)]:
        a = _activity(t_cl, f"{season} - {name}", start, end, auto_validate=False, notice_days=2,
                      notice_time=T(12, 0), public_name=f"Mercredis au centre de loisirs – {stage.replace('elem', 'élém')}",
                      **enrol_window)
        OpeningPeriod.objects.create(activity=a, start_date=start, end_date=end, wednesday=True)
        Group.objects.create(activity=a, name="Maternelle" if stage == "maternelle" else "Élémentaire +6 ans",
                             school_stage=stage)
        _leisure_units(a, f"CLM{key[0].upper()}", cap)
        ClosureDay.objects.create(activity=a, date=_nth_wednesday(datetime.date(y + 1, 5, 1), 2),
                                  reason="Journée pédagogique")
        cl[key] = a

    # Seed 003's table: each holiday period is bookable between two dates.
    window_dates = [(datetime.date(y, 9, 1), datetime.date(y, 10, 1)), (datetime.date(y, 11, 3), datetime.date(y, 12, 3)),
                    (datetime.date(y + 1, 1, 5), datetime.date(y + 1, 2, 4)),
                    (datetime.date(y + 1, 3, 9), datetime.date(y + 1, 4, 1)),
                    (datetime.date(y + 1, 5, 4), datetime.date(y + 1, 6, 17))]
    labels = ["Automne", "Noël", "Hiver", "Printemps", "Été"]
    for label, (hname, hs, he), (opens, closes) in zip(labels, holidays[:5], window_dates):
        period_end = min(he, hs + datetime.timedelta(days=40))
        a = _activity(t_cl, f"{season} - CLV {label}", hs, period_end, auto_validate=True,
                      public_name=f"{hname} au centre de loisirs",
                      booking_rule=Activity.BookingRule.WINDOW, enrolment_opens=datetime.date(y, 3, 10),
                      enrolment_closes=closes)
        OpeningPeriod.objects.create(activity=a, name=hname, start_date=hs, end_date=period_end,
                                     skip_school_holidays=False, **{d: True for d in WEEK + ("wednesday",)})
        BookingWindow.objects.create(activity=a, name=hname, period_start=hs, period_end=period_end,
                                     opens_on=opens, closes_on=closes)
        Group.objects.create(activity=a, name="Maternelle", school_stage="maternelle")
        Group.objects.create(activity=a, name="Élémentaire +6 ans", school_stage="elementaire")
        _leisure_units(a, f"CLV{label[:2].upper()}", 48)
    bus = _activity(t_bus, f"{season} - Bus du centre", start, end, auto_validate=True,
                    public_name="Bus du centre de loisirs", **enrol_window)
    OpeningPeriod.objects.create(activity=bus, start_date=start, end_date=end, wednesday=True)
    Group.objects.create(activity=bus, name="Tous niveaux")
    _units(bus, [("BUS-M", "Transport matin", T(8, 0), T(8, 30), 30, False),
                 ("BUS-S", "Transport soir", T(17, 30), T(18, 0), 30, False)])

    # Enrolments and bookings for the demo families.
    children = list(Child.objects.filter(family__is_demo=True, is_active=True).select_related("family")
                    .order_by("family__number", "birth_date"))
    school_kids = [c for c in children if c.school_level in rules.MATERNELLE + rules.ELEMENTAIRE]
    counts = {"enrolments": 0, "bookings": 0}
    prebook_end = today + datetime.timedelta(weeks=6)
    for child in school_kids:
        if rng.random() < 0.7:
            for key in ("rest", "alae_m", "alae_s"):
                if key == "rest" or rng.random() < 0.5:
                    e = _enrol(child, regular[key], validated=True)
                    counts["bookings"] += services.enrolment_prebook(enrolment=e, end=prebook_end)
                    counts["enrolments"] += 1
    wednesday_kids = {"mat": [], "elem": []}
    for child in school_kids:
        if rng.random() < 0.55:
            key = "mat" if child.school_level in rules.MATERNELLE else "elem"
            pending = rng.random() < 0.12
            e = _enrol(child, cl[key], validated=not pending)
            counts["enrolments"] += 1
            if not pending:
                wednesday_kids[key].append(e)
    # Book Wednesdays of the current and next months, as families did before each deadline.
    first_next = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    for key, enrolments in wednesday_kids.items():
        activity = cl[key]
        units = {u.code: u for u in activity.units.all()}
        prefix = f"CLM{key[0].upper()}"
        for month_first in (today.replace(day=1), first_next):
            booked_before = datetime.datetime.combine(month_first - datetime.timedelta(days=20), T(9, 0),
                                                      tzinfo=rules.PARIS)
            _, month_last = rules.month_bounds(month_first.year, month_first.month)
            days = _wednesdays(month_first, month_last)
            for e in enrolments:
                choice = rng.choice(["J", "J", "M+R", "AM"])
                codes = [f"{prefix}-J"] if choice == "J" else (
                    [f"{prefix}-M", f"{prefix}-R"] if choice == "M+R" else [f"{prefix}-AM"])
                changes = [Change(d, e.child_id, units[c].id, BOOK) for d in days if rng.random() < 0.75
                           for c in codes]
                counts["bookings"] += _commit(e.child.family, changes, booked_before)
    # A nearly full Wednesday and a full one with a waiting list (élémentaire, "Journée", next month).
    elem = cl["elem"]
    journee = elem.units.get(code="CLME-J")
    calendar = services.booking.loaders.calendars_for([elem])[elem.id]
    open_wednesdays = [d for d in calendar.open_days(first_next, first_next + datetime.timedelta(days=60))]
    if len(open_wednesdays) >= 2 and len(wednesday_kids["elem"]) >= 4:
        nearly, full = open_wednesdays[0], open_wednesdays[1]
        booked_before = datetime.datetime.combine(first_next - datetime.timedelta(days=25), T(9, 0),
                                                  tzinfo=rules.PARIS)
        for day, spare in ((nearly, 1), (full, 0)):
            occupied = _holding(journee, day)
            CapacityOverride.objects.create(unit=journee, date=day, capacity=occupied + spare)
        waiting = [e for e in wednesday_kids["elem"] if not _holding_child(journee, full, e.child_id)][:2]
        for i, e in enumerate(waiting):
            try:
                services.waiting_list_join(child=e.child, unit=journee, date=full, by=None, auto_book=i == 0,
                                           now=booked_before)
            except DomainError:
                continue
    counts["bookings"] += _off_contract_evenings(regular["alae_s"], first_next)
    _demo_family_requests(children, garderie, today)
    stdout.write(f"Inscriptions : {Activity.objects.count()} activités, {counts['enrolments']} inscriptions, "
                 f"{counts['bookings']} réservations.")


def _demo_family_requests(children, garderie, today):
    """« Mes demandes » of the demo parent (the first family, as ``families.demo.logins`` prints): the Wednesday
    daycare's bookings are validated by the service, so the family has a pending booking request, a refused one
    with its reason, and an absence whose certificate was refused with its reason."""
    garderie.bookings_need_approval = True
    garderie.save(update_fields=["bookings_need_approval"])
    parent = Guardian.objects.filter(family__is_demo=True, user__isnull=False).order_by("family__number", "rank").first()
    child = next((c for c in children if parent and c.family_id == parent.family_id
                  and c.school_level in rules.MATERNELLE + rules.ELEMENTAIRE), None)
    staff = User.objects.filter(username=STAFF_EMAIL).first()
    if child is None or staff is None:
        return
    enrolment = _enrol(child, garderie, validated=True)
    unit = garderie.units.get()
    now = timezone.now()
    # A Wednesday of the last weeks (not in the school holidays): booked before the deadline and accepted; the
    # child was absent and the certificate was refused.
    for weeks in range(3):
        last = today - datetime.timedelta(days=(today.weekday() - 2) % 7 or 7, weeks=weeks)
        booked_on = datetime.datetime.combine(last.replace(day=1) - datetime.timedelta(days=15), T(9, 0),
                                              tzinfo=rules.PARIS)
        if _commit(child.family, [Change(last, child.id, unit.id, BOOK)], booked_on):
            _demo_refused_certificate(Booking.objects.get(enrolment=enrolment, date=last), parent, staff, booked_on,
                                      now)
            break
    # Two Wednesdays still bookable: one request waits for the service, the other was refused.
    first = (today.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    if today.day > 20:
        first = (first.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    days = _wednesdays(first, first + datetime.timedelta(days=27))
    requested = []
    for day in days:
        if len(requested) < 2 and _commit(child.family, [Change(day, child.id, unit.id, BOOK)], now):
            requested.append(day)
    if len(requested) == 2:
        services.booking_decide(booking=Booking.objects.get(enrolment=enrolment, date=requested[1]), accept=False,
                                by=staff, reason="La garderie est complète ce mercredi : vous pouvez réserver un "
                                                 "autre mercredi.", now=now)


def _demo_refused_certificate(booking, parent, staff, booked_on, now):
    # The row is dated by the clock: back to the day the family booked it, weeks ago.
    Booking.objects.filter(pk=booking.pk).update(created_at=booked_on)
    declared = datetime.datetime.combine(booking.date, T(7, 15), tzinfo=rules.PARIS)
    try:
        services.booking_decide(booking=booking, accept=True, by=staff, now=booked_on + datetime.timedelta(days=1))
        services.booking_declare_absence(booking=booking, by=parent.user, reason="Fièvre", now=declared,
                                         certificate=ContentFile(b"%PDF-1.4 demo", name="certificat.pdf"))
        services.booking_excuse(booking=booking, accept=False, by=staff,
                                reason="Le certificat médical est daté du lendemain de l'absence : merci d'en envoyer "
                                       "un qui couvre ce mercredi par la messagerie.",
                                now=min(declared + datetime.timedelta(hours=26), now))
    except DomainError:
        pass


def _off_contract_evenings(activity, month_first):
    """A late evening (not a regular unit) on the first two school days of next month for the first three
    children of the evening ALAE: their calendars show « Réservation hors contrat » next to the regular days."""
    late = activity.units.get(code="ALAE-S2")
    calendar = services.booking.loaders.calendars_for([activity])[activity.id]
    days = calendar.open_days(month_first, month_first + datetime.timedelta(days=10))[:2]
    booked_before = datetime.datetime.combine(month_first - datetime.timedelta(days=25), T(9, 0), tzinfo=rules.PARIS)
    added = 0
    for e in Enrolment.objects.filter(activity=activity, status=Enrolment.Status.VALIDATED).select_related(
            "child__family").order_by("pk")[:3]:
        added += _commit(e.child.family, [Change(d, e.child_id, late.id, BOOK) for d in days], booked_before)
    return added


def _nth_wednesday(first, n):
    d = first + datetime.timedelta(days=(2 - first.weekday()) % 7)
    return d + datetime.timedelta(weeks=n - 1)


def _wednesdays(first, last):
    d = _nth_wednesday(first, 1)
    days = []
    while d <= last:
        days.append(d)
        d += datetime.timedelta(weeks=1)
    return days


def _enrol(child, activity, *, validated):
    group = services.eligible_groups(child=child, activity=activity)
    group = group[0] if group else activity.groups.first()
    now = timezone.now()
    e = Enrolment.objects.create(child=child, activity=activity, group=group, requested_at=now,
                                 status=Enrolment.Status.VALIDATED if validated else Enrolment.Status.PENDING,
                                 decided_at=now if validated else None)
    if not validated:
        counters.recount(["pending_enrolments"], [child.family_id])
    return e


def _commit(family, changes, now):
    if not changes:
        return 0
    try:
        result = services.booking_commit(family=family, changes=changes, by=None, now=now, send_email=False)
    except DomainError:
        return 0
    return len(result["booked"])


def _holding(unit, day):
    return Booking.objects.filter(unit=unit, date=day, state__in=Booking.HOLDING_STATES).count()


def _holding_child(unit, day, child_id):
    return Booking.objects.filter(unit=unit, date=day, child_id=child_id, state__in=Booking.HOLDING_STATES).exists()


register_demo(populate, order=20)  # after the families
