"""The catalogue of the city: the seed-003 activities per school site for the previous and the current
season (structures, activity types, units, opening periods, booking windows, groups), their tariffs
and the two régies, the school holidays, one closure day and one capacity override.

A few hundred rows: written through the ORM."""
import datetime
from collections import namedtuple
from decimal import Decimal

from billing.models import Regie, Tariff, TariffBracket
from enrolment import rules
from enrolment.models import (
    Activity, ActivityType, BookingWindow, CapacityOverride, ClosureDay, Group, OpeningPeriod, SchoolHoliday,
    Structure, Unit,
)
from enrolment.services.calendar import school_holiday_periods
from portal.models import Organisation

from .shared import SCHOOL_NAMES, month_end

# Tariffs: brackets [(QF up to, price)...] with None = above, or a flat price (Decimal).
QF_BOUNDS = (Decimal("600"), Decimal("900"), Decimal("1200"), None)
WEEKDAY_FIELDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOLIDAY_LABELS = {"toussaint": "Automne", "noël": "Noël", "hiver": "Hiver", "printemps": "Printemps", "été": "Été"}


# One season of activities: "2026/2027", 2026, 1 Sept., the eve of the summer holidays, 31 Aug.
Season = namedtuple("Season", "label year start school_end summer_end")
# One school site: its index (site 0 holds the closure day and the race) and its school's name.
Site = namedtuple("Site", "index school")


def _brackets(*prices):
    return [(bound, Decimal(p)) for bound, p in zip(QF_BOUNDS, prices)]


class Catalogue:
    """What the bookings and invoices need to know of the catalogue, without asking the database."""

    def __init__(self):
        # dicts: obj, id, key, name, site, season, units, groups, calendar, regie, policy, open_days
        self.activities = []
        self.units = {}  # unit id -> dict: obj, id, code, name, capacity, price, regular, tariff_label
        self.groups = {}  # group id -> Group
        self.overrides = {}  # (unit id, group id or None, day) -> capacity
        self.regie_peri = self.regie_resto = None
        self.rush_month = None  # the month parents are rushing to book
        self.race_activity = None  # site 0's élémentaire Wednesdays of the current season

    def capacity(self, unit_id, group, day):
        if group is None:
            return self.overrides.get((unit_id, None, day), self.units[unit_id]["capacity"])
        return self.overrides.get((unit_id, group.id, day), group.capacity)


def _spec(season, named):
    """The activities of one site and season: (key, type, name, weekdays, units, extra)."""
    school_days = {0, 1, 3, 4}
    spec = [
        # key, type, name, weekdays, units[(code, name, start, end, capacity, regular, price)], extra
        ("alae_matin", "alae", "ALAE Matin", school_days,
         [("MAT", "Matin", (7, 30), (8, 20), 450, True, _brackets("0.60", "0.90", "1.20", "1.50"))], {}),
        ("alae_soir1", "alae", "ALAE Soir 1", school_days,
         [("SO1", "Soir jusqu'à 17 h 30", (16, 30), (17, 30), 600, True,
           _brackets("0.90", "1.30", "1.70", "2.10"))], {}),
        ("alae_soir2", "alae", "ALAE Soir 2", school_days,
         [("SO2", "Soir jusqu'à 18 h 30", (16, 30), (18, 30), 250, True,
           _brackets("1.40", "1.90", "2.50", "3.10"))], {}),
        ("garderie", "garderie", "Garderie Mercredi Scolaire", {2},
         [("GAR", "Garderie 11 h 30 – 12 h 30", (11, 30), (12, 30), 120, False, Decimal("1.00"))], {}),
        ("resto", "resto", "Restauration Élémentaire et maternelle", school_days,
         [("REP", "Repas", (11, 30), (13, 30), 1200, True, _brackets("1.20", "2.40", "3.30", "4.10"))], {}),
        ("cl_mat", "cl", "CL Maternel Mercredis", {2},
         [("APR", "Après-midi avec repas", (11, 30), (18, 30), 40, False,
           _brackets("5.20", "7.80", "10.40", "13.00")),
          ("APS", "Après-midi sans repas", (13, 30), (18, 30), 16, False,
           _brackets("3.10", "4.20", "5.20", "6.50"))], {"stage": "maternelle"}),
        ("cl_elem", "cl", "CL Élémentaire Mercredis", {2},
         [("APR", "Après-midi avec repas", (11, 30), (18, 30), 80, False,
           _brackets("5.20", "7.80", "10.40", "13.00")),
          ("APS", "Après-midi sans repas", (13, 30), (18, 30), 24, False,
           _brackets("3.10", "4.20", "5.20", "6.50"))], {"stage": "elementaire"}),
        ("bus_mer", "bus", "Mercredi bus CL", {2},
         [("BUS", "Transport aller-retour", (11, 20), (18, 45), 50, False, Decimal("1.00"))], {}),
    ]
    for hname, hs, he in named:
        if not (season.start <= hs <= season.summer_end):
            continue
        short = next((v for k, v in HOLIDAY_LABELS.items() if k in hname.lower()), None)
        if short is None:
            continue
        hend = min(he, season.summer_end)
        spec.append((f"clv_{short}", "cl", f"CLV Élémentaire ou maternel {short}", {0, 1, 2, 3, 4},
                     [("JOU", "Journée", (8, 30), (17, 30), 120, False, _brackets("6.00", "9.00", "12.00", "15.00")),
                      ("MAT", "Matin", (8, 30), (12, 0), 40, False, _brackets("3.00", "4.50", "6.00", "7.50")),
                      ("APM", "Après-midi", (13, 30), (17, 30), 40, False, _brackets("3.00", "4.50", "6.00", "7.50")),
                      ("REP", "Repas", (12, 0), (13, 30), 140, False, Decimal("3.30"))],
                     {"holiday": (hs, hend), "short": short}))
    spec.append(("bus_vac", "bus", "Vacances bus CL", {0, 1, 2, 3, 4},
                 [("BUS", "Transport aller-retour", (8, 0), (18, 0), 50, False, Decimal("1.00"))],
                 {"holidays_only": True}))
    return spec


def _regies():
    peri = Regie.objects.create(
        name="Régie Ville – Périscolaire et loisirs", prefix="VPL",
        address="Hôtel de ville\nPlace de la Mairie\n75000 Ville-sur-Benchmark", due_days=30,
        cheque_payee="Régie périscolaire de la Ville", cash_desk="Accueil de la mairie, du lundi au vendredi 8 h 30 – 17 h",
        payment_provider="payfip_ws", payfip_numcli="012345", payfip_mode="W",
    )
    resto = Regie.objects.create(
        name="Régie Ville – Restauration scolaire", prefix="VRS",
        address="Hôtel de ville\nPlace de la Mairie\n75000 Ville-sur-Benchmark", due_days=30,
        cheque_payee="Régie restauration de la Ville", cash_desk="Accueil de la mairie",
        childcare_certificate=False, payment_provider="payfip_ws", payfip_numcli="012346", payfip_mode="W",
    )
    return peri, resto


def generate(run, sites):
    """The seed-003 catalogue, per school site, for the previous and the current season."""
    cat = Catalogue()
    school_year = run.school_year
    zone = Organisation.current().school_zone
    years = [school_year - 1, school_year, school_year + 1, school_year + 2]
    named = list(school_holiday_periods(zone=zone, years=years))  # (name, start, end)
    existing = set(SchoolHoliday.objects.values_list("start_date", "end_date"))
    for name, start, end in named:
        if (start, end) not in existing:
            SchoolHoliday.objects.create(name=name, start_date=start, end_date=end)
    holidays = [(s, e) for _, s, e in named]
    cat.regie_peri, cat.regie_resto = _regies()
    for season_year in (school_year - 1, school_year):
        school_end = next((s for name, s, e in named if "été" in name.lower() and s.year == season_year + 1),
                          datetime.date(season_year + 1, 7, 4)) - datetime.timedelta(days=1)
        season = Season(f"{season_year}/{season_year + 1}", season_year, datetime.date(season_year, 9, 1),
                        school_end, datetime.date(season_year + 1, 8, 31))
        for index in range(sites):
            school = SCHOOL_NAMES[index % len(SCHOOL_NAMES)]
            peri, _ = Structure.objects.get_or_create(name=f"Périscolaire – École {school}",
                                                      defaults={"kind": "periscolaire"})
            resto, _ = Structure.objects.get_or_create(name=f"Restauration – École {school}",
                                                       defaults={"kind": "catering"})
            leisure, _ = Structure.objects.get_or_create(name=f"Accueil de loisirs {school}",
                                                         defaults={"kind": "leisure"})
            if season_year == school_year - 1:
                cat.regie_peri.structures.add(peri, leisure)
                cat.regie_resto.structures.add(resto)
            types = {}
            for key, structure, name, kind in (
                ("alae", peri, "ALAE", "alae"), ("garderie", peri, "Garderie", "garderie"),
                ("resto", resto, "Restauration", "catering"), ("cl", leisure, "Centre de loisirs", "cl"),
                ("bus", leisure, "Transport", "transport"),
            ):
                types[key], _ = ActivityType.objects.get_or_create(structure=structure, name=name,
                                                                   defaults={"kind": kind})
            for key, tkey, name, weekdays, unit_spec, extra in _spec(season, named):
                _activity(cat, season, Site(index, school), sites > 1, holidays, named,
                          key, types[tkey], tkey, name, weekdays, unit_spec, extra)
    _closure_and_race(cat, run.today, school_year)
    run.counts["activités"] = len(cat.activities)
    run.counts["unités"] = len(cat.units)
    run.log(f"catalogue : {sites} site(s), {len(cat.activities)} activités, {len(cat.units)} unités "
            f"(mois de réservation en cours : {cat.rush_month:%m/%Y})")
    return cat


def _activity(cat, season, site, several_sites, holidays, named, key, activity_type, tkey, name, weekdays,
              unit_spec, extra):
    """One activity with its openings, booking window, groups, units and tariffs."""
    holiday = extra.get("holiday")
    a_start, a_end = holiday if holiday else (
        season.start, season.school_end if not extra.get("holidays_only") else season.summer_end)
    regular = any(u[5] for u in unit_spec)
    rule = "window" if holiday else "monthly"
    act = Activity.objects.create(
        activity_type=activity_type, name=f"{season.label} - {name}" + (f" ({site.school})" if several_sites else ""),
        season_start=a_start, season_end=a_end, enrolment_opens=datetime.date(season.year, 3, 10),
        enrolment_closes=datetime.date(season.year, 8, 20), auto_validate=True,
        prebook_regular=regular, booking_rule=rule, deadline_day=20, notice_days=2,
    )
    skip = not (holiday or extra.get("holidays_only"))
    if extra.get("holidays_only"):
        spans = [(max(hs, a_start), min(he, a_end)) for _, hs, he in named if hs <= a_end and he >= a_start]
    else:
        spans = [(a_start, a_end)]
    openings = []
    for o_start, o_end in spans:
        OpeningPeriod.objects.create(
            activity=act, name="Année scolaire" if skip else "Vacances", start_date=o_start, end_date=o_end,
            skip_school_holidays=skip, **{day: (i in weekdays) for i, day in enumerate(WEEKDAY_FIELDS)},
        )
        openings.append(rules.Opening(o_start, o_end, frozenset(weekdays), skip))
    windows = []
    if holiday:
        closes = holiday[0] - datetime.timedelta(days=14)
        w = BookingWindow.objects.create(
            activity=act, name=extra["short"], period_start=holiday[0], period_end=holiday[1],
            opens_on=closes - datetime.timedelta(days=30), closes_on=closes)
        windows.append(rules.Window(w.period_start, w.period_end, w.opens_on, w.closes_on, w.name))
    stage = extra.get("stage")
    groups = []
    if stage:
        groups.append(Group.objects.create(activity=act, name="Maternelle" if stage == "maternelle"
                                           else "Élémentaire +6 ans", school_stage=stage))
    elif tkey == "cl":
        groups.append(Group.objects.create(activity=act, name="Maternelle", school_stage="maternelle", capacity=48))
        groups.append(Group.objects.create(activity=act, name="Élémentaire +6 ans", school_stage="elementaire",
                                           capacity=72))
    else:
        groups.append(Group.objects.create(activity=act, name="Tous niveaux"))
    unit_rows = []
    for order, (code, uname, st, en, cap, reg, price) in enumerate(unit_spec):
        u = Unit.objects.create(activity=act, name=uname, code=code, start_time=datetime.time(*st),
                                end_time=datetime.time(*en), capacity=cap, is_regular=reg, billable=True, order=order)
        tariff = Tariff.objects.create(
            unit=u, label=f"{name.upper()} – {uname.upper()}"[:120],
            mode="flat" if isinstance(price, Decimal) else "quotient",
            flat_price=price if isinstance(price, Decimal) else None,
            valid_from=a_start, valid_until=a_end)
        if not isinstance(price, Decimal):
            TariffBracket.objects.bulk_create(
                [TariffBracket(tariff=tariff, quotient_up_to=b, price=p) for b, p in price])
        unit_rows.append({"obj": u, "id": u.id, "code": code, "name": uname, "capacity": cap,
                          "price": price, "regular": reg, "tariff_label": tariff.label})
        cat.units[u.id] = unit_rows[-1]
    by_code = {u["code"]: u["obj"] for u in unit_rows}
    if "APR" in by_code:
        by_code["APR"].incompatible_units.add(by_code["APS"])
    if "JOU" in by_code:
        by_code["JOU"].incompatible_units.add(by_code["MAT"], by_code["APM"])
        by_code["REP"].required_units.add(by_code["JOU"], by_code["MAT"])
    calendar = rules.OpeningCalendar(a_start, a_end, openings, holidays, {})
    for g in groups:
        cat.groups[g.id] = g
    cat.activities.append({
        "obj": act, "id": act.id, "key": key, "name": act.name, "site": site.index, "season": season.year,
        "units": unit_rows, "groups": groups, "calendar": calendar,
        "regie": cat.regie_resto if tkey == "resto" else cat.regie_peri,
        "policy": rules.Policy(rule, 20, 2, datetime.time(12, 0), tuple(windows)),
        "open_days": calendar.open_days(a_start, a_end),
    })


def _closure_and_race(cat, today, school_year):
    """A teachers' training day at site 0, the rush month, and a nearly full Wednesday to race for."""
    cur_acts = [a for a in cat.activities if a["season"] == school_year and a["site"] == 0]
    alae_matin = next(a for a in cur_acts if a["key"] == "alae_matin")
    peri0 = alae_matin["obj"].activity_type.structure
    fridays = [d for d in alae_matin["open_days"] if d.weekday() == 4 and d > today]
    if fridays:
        closed = fridays[min(3, len(fridays) - 1)]
        ClosureDay.objects.create(structure=peri0, date=closed, reason="Journée pédagogique")
        for a in cat.activities:
            if a["site"] == 0 and a["obj"].activity_type.structure_id == peri0.id:
                a["calendar"].closures[closed] = "Journée pédagogique"
                a["open_days"] = a["calendar"].open_days(a["calendar"].season_start, a["calendar"].season_end)
    # The month parents are rushing to book: the first whose monthly deadline is still ahead.
    first = today.replace(day=1)
    nxt = month_end(first) + datetime.timedelta(days=1)
    cat.rush_month = nxt if today.day <= 20 else month_end(nxt) + datetime.timedelta(days=1)
    # A nearly full day: the second Wednesday of the rush month at site 0's élémentaire Wednesdays.
    cat.race_activity = next(a for a in cur_acts if a["key"] == "cl_elem")
    wednesdays = [d for d in cat.race_activity["open_days"]
                  if d.year == cat.rush_month.year and d.month == cat.rush_month.month]
    if len(wednesdays) >= 2:
        apr = cat.race_activity["units"][0]
        CapacityOverride.objects.create(unit_id=apr["id"], date=wednesdays[1], capacity=40)
        cat.overrides[(apr["id"], None, wednesdays[1])] = 40
