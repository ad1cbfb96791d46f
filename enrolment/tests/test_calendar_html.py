"""The month calendar's and child planning's markup written in Python (enrolment.calendar_html): the
same HTML the template loops wrote, every state readable without colour (symbol + words), values escaped."""
import datetime
import re

import pytest
import time_machine
from django.template import Context, Template
from django.urls import reverse

from enrolment import calendar_html, loaders, rules, selectors
from enrolment.basket import SESSION_KEY
from enrolment.models import Booking, ClosureDay, Occupancy, WaitingListEntry
from families.tests.factories import parent_with_family

from .factories import enrol, wednesdays_activity

pytestmark = pytest.mark.django_db
P = datetime.timezone(datetime.timedelta(hours=1))
NOW = datetime.datetime(2025, 11, 10, 9, 0, tzinfo=P)  # December still editable, November past its deadline
D = datetime.date
SYM = '<span class="cal-sym" aria-hidden="true">{}</span> '

# The template loops these helpers replaced, kept as the reference of their markup.
READ_LOOP = Template(
    """{% for day in days %}<li class="cal-day{% if not day.is_open %} cal-closed{% endif %}{% if forloop.first and offset %} cal-start-{{ offset }}{% endif %}"><a class="cal-date fw-semibold" href="{{ day.url }}" aria-label="{{ day.long }} : détail de la semaine"><span class="cal-name">{{ day.short }}</span><span class="cal-num">{{ day.date.day }}</span></a>
{% if day.is_open %}<ul class="small">{% for cell in day.cells %}<li>{% if cell.sym %}<span class="cal-sym" aria-hidden="true">{{ cell.sym }}</span> {% endif %}{{ cell.text }}</li>{% endfor %}</ul>{% if not day.editable %}<div class="small text-muted"><span aria-hidden="true">⊘</span> Hors délai</div>{% endif %}{% else %}<div class="small"><span class="cal-sym" aria-hidden="true">{{ day.symbol }}</span> {{ day.label }}</div>{% endif %}</li>
{% endfor %}""")  # noqa: E501
EDIT_LOOP = Template(
    """{% for day in days %}{% if day.is_open %}
    <tr><th scope="row" class="fw-normal text-nowrap">{{ day.short }}</th>
      {% if day.editable %}{% for cell in day.cells %}
      <td data-label="{{ cell.unit.name }}">{% if cell.mode == "box" %}<div class="form-check mb-0"><input class="form-check-input" type="checkbox" name="case" value="{{ cell.key }}" id="{{ cell.box_id }}"{% if cell.checked %} checked{% endif %}{% if cell.state == "reserved" or cell.state == "requested" %} data-booked{% endif %}><label class="form-check-label" for="{{ cell.box_id }}"><span class="visually-hidden">{{ cell.sr }}</span><span class="small cal-note" data-plain="{% if cell.state %}{{ cell.label }}{% endif %}">{% if cell.note %} {{ cell.note }}{% endif %}</span>{% if cell.places %} <span class="small">{{ cell.places }}</span>{% endif %}</label></div>{% elif cell.mode == "full" %}<span class="cal-sym" aria-hidden="true">C</span> Complet{% else %}<span class="cal-sym" aria-hidden="true">{{ cell.symbol }}</span> {{ cell.note }}{% endif %}</td>
      {% endfor %}{% else %}
      <td colspan="{{ units|length }}"><span class="cal-sym" aria-hidden="true">⊘</span> {{ day.locked_text }}</td>
      {% endif %}
    </tr>
    {% endif %}{% endfor %}""")  # noqa: E501
PLANNING_LOOP = Template(
    """{% for sym, label in cells %}<td class="text-center">{% if sym %}<span aria-hidden="true">{{ sym }}</span>{% endif %}<span class="visually-hidden">{{ label }}</span></td>{% endfor %}""")  # noqa: E501


def _tight(html):
    return re.sub(r">\s+<", "><", html).strip()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(client):
    """December 2025 Wednesdays of a child, two units of one place each: the 3rd booked, the 10th requested
    (and a meal in the basket), the 17th full (waiting list for the meal), the 24th closed, the 31st
    marked present. November is past its deadline, its 5th booked."""
    user, family = parent_with_family(children=1)
    child = family.children.get()
    activity, group, (day_unit, meal) = wednesdays_activity(capacity=1, units=("Journée", "Repas <b>&'"))
    enrolment = enrol(child, activity, group)
    ClosureDay.objects.create(activity=activity, date=D(2025, 12, 24), reason="Grève")
    for unit, day, state in [(day_unit, D(2025, 12, 3), "reserved"), (day_unit, D(2025, 12, 10), "requested"),
                             (day_unit, D(2025, 12, 31), "present"), (day_unit, D(2025, 11, 5), "reserved")]:
        Booking.objects.create(child=child, unit=unit, date=day, enrolment=enrolment, state=state)
    Occupancy.objects.create(unit=day_unit, date=D(2025, 12, 17), booked=1)
    Occupancy.objects.create(unit=meal, date=D(2025, 12, 17), booked=1)
    WaitingListEntry.objects.create(child=child, unit=meal, date=D(2025, 12, 17), enrolment=enrolment,
                                    created_at=NOW)
    client.force_login(user)
    session = client.session
    session[SESSION_KEY] = [[child.pk, meal.pk, "2025-12-10", "book"]]
    session.save()
    return client, child, enrolment, day_unit, meal


def _month(enrolment, month, basket=()):
    enrolment.activity = loaders.catalogue_for([enrolment.activity_id]).activities[enrolment.activity_id]
    cal = selectors.month_calendar(enrolment=enrolment, year=2025, month=month, basket=basket)
    for d in cal["days"]:
        d.url = f"/semaine/{d.key}/?a=1&b=2"
    return cal


@pytest.mark.parametrize("month", [11, 12])
def test_month_markup_is_the_template_loops(world, month):
    client, child, enrolment, day_unit, meal = world
    cal = _month(enrolment, month, basket=[(child.pk, meal.pk, "2025-12-10", "book")])
    days, units = cal["days"], cal["units"]
    assert calendar_html.month_days(days, cal["offset"]) == READ_LOOP.render(Context(
        {"days": days, "offset": cal["offset"]}))
    assert _tight(calendar_html.edit_rows(days, len(units))) == _tight(EDIT_LOOP.render(Context(
        {"days": days, "units": units})))


def test_planning_markup_is_the_template_loop():
    cells = [("✓", "Réservé"), ("", "Non réservé"), ("—", "Fermé"), ("<", "a & 'b'"), ("✓", "Réservé")]
    assert calendar_html.planning_cells(cells) == PLANNING_LOOP.render(Context({"cells": cells}))


def test_month_reading_states_in_symbols_and_words(world):
    client, child, enrolment, day_unit, meal = world
    html = client.get(reverse("enrolment:month", args=[enrolment.pk, 2025, 12])).content.decode()
    meal_name = "Repas &lt;b&gt;&amp;&#x27;"
    # A booked day to come links to its absence form, from the month too.
    absence = '<a class="cal-absence" href="{}">Déclarer une absence<span class="visually-hidden"> – {}</span></a>'
    booked, asked = (Booking.objects.get(child=child, date=D(2025, 12, d)) for d in (3, 10))
    assert ("<li>" + SYM.format("✓") + "Journée : Réservé " + absence.format(
        reverse("enrolment:absence", args=[booked.pk]), "mercredi 03/12/2025 – Journée") + "</li>") in html
    assert ("<li>" + SYM.format("?") + "Journée : Demande en attente de réponse du service " + absence.format(
        reverse("enrolment:absence", args=[asked.pk]), "mercredi 10/12/2025 – Journée") + "</li>") in html
    assert "<li>" + SYM.format("+") + f"{meal_name} : sera réservé (à confirmer) (1 pl.)</li>" in html  # 10/12
    assert "<li>" + SYM.format("C") + "Journée : Complet</li>" in html  # 17/12, full
    assert "<li>" + SYM.format("LA") + f"{meal_name} : Sur liste d&#x27;attente</li>" in html  # 17/12
    assert "<li>" + SYM.format("P") + "Journée : Présent</li>" in html  # 31/12
    assert f"<li>{meal_name} : libre (1 pl.)</li>" in html  # a free cell: words only
    assert '<li class="cal-day cal-closed">' in html and SYM.format("—") + "Fermé (Grève)</div>" in html
    assert 'aria-label="mercredi 03/12/2025 : détail de la semaine"' in html
    assert reverse("enrolment:week", args=[enrolment.pk, 2025, 12, 3]) in html
    assert "Hors délai</div>" not in html  # December can still change
    assert "<script" not in html.split('<ol class="cal-days"')[1].split("</ol>")[0]
    # November: past its deadline, each open day says so.
    html = client.get(reverse("enrolment:month", args=[enrolment.pk, 2025, 11])).content.decode()
    assert html.count('<span aria-hidden="true">⊘</span> Hors délai</div>') == 4  # 5, 12, 19, 26/11
    assert 'class="cal-day cal-closed cal-start-5"' in html  # 1 Nov 2025: a Saturday, in its column


def test_month_edit_mode_boxes_full_and_locked(world):
    client, child, enrolment, day_unit, meal = world
    url = reverse("enrolment:month", args=[enrolment.pk, 2025, 12]) + "?modifier=1"
    html = _tight(client.get(url).content.decode())
    box = f'id="c-2025-12-03-{day_unit.pk}"'
    assert f'value="2025-12-03:{day_unit.pk}" {box} checked data-booked>' in html  # booked: ticked
    assert (f'<label class="form-check-label" for="c-2025-12-03-{day_unit.pk}"><span class="visually-hidden">'
            "mercredi 03/12/2025 – Journée</span><span class=\"small cal-note\" data-plain=\"Réservé\"> Réservé"
            "</span></label>") in html
    assert (f'id="c-2025-12-10-{meal.pk}" checked><label class="form-check-label" for="c-2025-12-10-{meal.pk}">'
            '<span class="visually-hidden">mercredi 10/12/2025 – Repas &lt;b&gt;&amp;&#x27;</span>'
            '<span class="small cal-note" data-plain=""> sera réservé</span>') in html  # the basket's change
    assert '<td data-label="Journée">' + SYM.format("C") + "Complet</td>" in html  # 17/12 Journée: full, no box
    assert f"c-2025-12-17-{day_unit.pk}" not in html
    assert '<td data-label="Journée">' + SYM.format("P") + "Présent</td>" in html  # 31/12: presence recorded, locked
    assert "2025-12-24" not in html  # closed: no row
    assert '<span class="small">1 pl.</span>' in html  # few places left on a free cell
    # November: one cell per day saying why it cannot change, across both units.
    html = _tight(client.get(reverse("enrolment:month", args=[enrolment.pk, 2025, 11]) + "?modifier=1"
                             ).content.decode())
    assert 'name="case"' not in html
    assert html.count('<td colspan="2">' + SYM.format("⊘") + "Hors délai") == 4
    assert "Hors délai : les modifications de ce mois étaient possibles jusqu&#x27;au 20/10/2025 à 23 h 59." \
           " – Journée : Réservé</td>" in html


def test_child_planning_grid(world):
    client, child, enrolment, day_unit, meal = world
    html = client.get(reverse("enrolment:child_month", args=[child.pk, 2025, 12])).content.decode()
    month_url = reverse("enrolment:month", args=[enrolment.pk, 2025, 12])
    assert f'<a href="{month_url}">{enrolment.activity.name}</a> – Journée</th>' in html
    assert "– Repas &lt;b&gt;&amp;&#x27;</th>" in html
    row = html.split("– Journée</th>")[1].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>.*?</td>", row)
    assert len(cells) == 31
    assert cells[2] == '<td class="text-center"><span aria-hidden="true">✓</span><span class="visually-hidden">' \
                       "Réservé</span></td>"  # Wednesday 3
    assert cells[0] == '<td class="text-center"><span aria-hidden="true">—</span><span class="visually-hidden">' \
                       "Fermé</span></td>"  # Monday 1: not a Wednesday
    assert cells[16] == '<td class="text-center"><span class="visually-hidden">Non réservé</span></td>'  # 17: free
    assert cells[30].count("Présent") == 1 and cells[9].count("Demande en attente de réponse du service") == 1
    assert '<th scope="col" class="text-center"><abbr title="mercredi 03/12/2025">Me 03</abbr></th>' in html


def test_child_planning_is_scoped_to_the_family(world, client):
    client, child, enrolment, day_unit, meal = world
    _, other_family = parent_with_family(children=1)
    other = other_family.children.get()
    assert client.get(reverse("enrolment:child_month", args=[other.pk, 2025, 12])).status_code == 404
    child.is_active = False
    child.save()
    assert client.get(reverse("enrolment:child_month", args=[child.pk, 2025, 12])).status_code == 404


def test_day_statuses_kept_with_the_catalogue_version(world, monkeypatch):
    """The days' statuses are computed once per catalogue (version): a closure added later shows at once."""
    client, child, enrolment, day_unit, meal = world
    calls = []
    status = rules.OpeningCalendar.status
    monkeypatch.setattr(rules.OpeningCalendar, "status", lambda self, day: calls.append(day) or status(self, day))
    cat = loaders.catalogue()
    enrolment.activity = cat.activities[enrolment.activity_id]
    for _ in range(2):
        selectors.month_calendar(enrolment=enrolment, year=2026, month=1, cat=cat)
    assert len(calls) == 31
    url = reverse("enrolment:month", args=[enrolment.pk, 2026, 1])
    assert "Fermé (Neige)" not in client.get(url).content.decode()
    ClosureDay.objects.create(activity=enrolment.activity, date=D(2026, 1, 14), reason="Neige")
    assert SYM.format("—") + "Fermé (Neige)</div>" in client.get(url).content.decode()
