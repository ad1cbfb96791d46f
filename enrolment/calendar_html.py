"""The repeated markup of the month calendar and of a child's planning grid, built in Python.

A month is 28–31 days of one to four cells each: written as template loops with an ``{% if %}`` and a
``{{ }}`` per state, the calendar cost ≈ 400 template nodes per page, most of the page's CPU. The
templates keep the page's structure (headings, forms, table heads); these helpers write the days and
cells from the texts the selectors already computed (``selectors.Cell`` / ``selectors.Day``), with the
same markup the templates had. Every state stays readable without colour: a symbol hidden from screen
readers, then the state in words.

Every value is escaped with ``html.escape`` — what the templates' autoescaping does (Django's ``escape``
is ``html.escape``), without ``format_html``'s lazy-string checks on each of the page's ~200 values.
"""
import functools
from html import escape

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

PAST_DEADLINE = '<div class="small text-muted"><span aria-hidden="true">⊘</span> Hors délai</div>'


@functools.cache
def legend(symbols):
    """The symbols' legend (enrolment/_legend.html), the same on every calendar page: rendered once per
    process for each legend (a tuple of (symbol, text))."""
    return mark_safe(render_to_string("enrolment/_legend.html", {"legend": symbols}))


# --------------------------------------------------------------------------- month calendar (reading)
def month_day_cell(cell):
    """« ✓ Journée : Réservé », « + Journée : sera réservé (à confirmer) », « Journée : libre (3 pl.) »; a
    booked day to come links to its absence form."""
    absence = (f' <a class="cal-absence" href="{escape(cell.absence_url)}">Déclarer une absence<span '
               f'class="visually-hidden"> – {escape(cell.sr)}</span></a>' if cell.absence_url else "")
    if cell.sym:
        return (f'<li><span class="cal-sym" aria-hidden="true">{escape(cell.sym)}</span> {escape(cell.text)}'
                f"{absence}</li>")
    return f"<li>{escape(cell.text)}{absence}</li>"


def month_day(day, offset=0):
    """One day of the month grid: its link to the week, then its cells (open day) or why it is closed.
    ``offset`` (the first day's weekday, for the month's first day) places the day in its column."""
    classes = "cal-day" if day.is_open else "cal-day cal-closed"
    if offset:
        classes += f" cal-start-{offset}"
    if day.is_open:
        body = f'<ul class="small">{"".join(map(month_day_cell, day.cells))}</ul>{"" if day.editable else PAST_DEADLINE}'
    else:
        body = (f'<div class="small"><span class="cal-sym" aria-hidden="true">{escape(day.symbol)}</span> '
                f"{escape(day.label)}</div>")
    return (f'<li class="{classes}"><a class="cal-date fw-semibold" href="{escape(day.url)}" aria-label="'
            f'{escape(day.long)} : détail de la semaine"><span class="cal-name">{escape(day.short)}</span>'
            f'<span class="cal-num">{day.date.day}</span></a>\n{body}</li>\n')


def month_days(days, offset):
    """The ``<li>`` of every day of the month (the calendar's ``<ol>`` holds them)."""
    return mark_safe("".join(month_day(day, offset if i == 0 else 0) for i, day in enumerate(days)))


# --------------------------------------------------------------------------- month calendar (edit mode)
def edit_cell(cell):
    """A checkbox named by day and unit (with the basket's change or the few places left), or the
    locked state / « Complet » when it cannot be ticked. ``data-label``: the unit's name, written before
    the cell on phones, where the table becomes one block per day (a11y.css)."""
    unit = escape(cell.unit.name)
    if cell.mode == "box":
        box = escape(cell.box_id)
        # The note says what the box will do (« sera réservé », « sera annulé »); calendar.js rewrites it as
        # the box changes, from the booked state (data-booked) and the note of a box left as it is.
        held = cell.state in ("reserved", "requested")
        plain = escape(cell.label if cell.state else "")
        note = f'<span class="small cal-note" data-plain="{plain}">{" " + escape(cell.note) if cell.note else ""}</span>'
        places = f' <span class="small">{escape(cell.places)}</span>' if cell.places else ""
        return (f'<td data-label="{unit}"><div class="form-check mb-0"><input class="form-check-input" type="checkbox" name="case" '
                f'value="{escape(cell.key)}" id="{box}"{" checked" if cell.checked else ""}'
                f'{" data-booked" if held else ""}>'
                f'<label class="form-check-label" for="{box}"><span class="visually-hidden">{escape(cell.sr)}</span>'
                f"{note}{places}</label></div></td>")
    if cell.mode == "full":
        return f'<td data-label="{unit}"><span class="cal-sym" aria-hidden="true">C</span> Complet</td>'
    return (f'<td data-label="{unit}"><span class="cal-sym" aria-hidden="true">{escape(cell.symbol)}</span> '
            f'{escape(cell.note)}</td>')


def edit_row(day, unit_count):
    """The row of an open day: its cells, or one cell saying why the day can no longer change."""
    if day.editable:
        cells = "".join(map(edit_cell, day.cells))
    else:
        cells = (f'<td colspan="{unit_count}"><span class="cal-sym" aria-hidden="true">⊘</span> '
                 f"{escape(day.locked_text)}</td>")
    return f'<tr><th scope="row" class="fw-normal text-nowrap">{escape(day.short)}</th>{cells}</tr>\n'


def edit_rows(days, unit_count):
    """The ``<tr>`` of the month's open days in the edit table."""
    return mark_safe("".join(edit_row(day, unit_count) for day in days if day.is_open))


# --------------------------------------------------------------------------- child planning grid
_planning_cells = {}


def planning_cell(sym, label):
    """A grid cell: the symbol (hidden from screen readers) and the state in words. The cells are a few
    fixed (symbol, label) pairs (selectors.STATE_DISPLAY, DAY_DISPLAY, « Non réservé »): each is
    written once per process."""
    html = _planning_cells.get((sym, label))
    if html is None:
        symbol = f'<span aria-hidden="true">{escape(sym)}</span>' if sym else ""
        html = f'<td class="text-center">{symbol}<span class="visually-hidden">{escape(label)}</span></td>'
        if len(_planning_cells) < 100:
            _planning_cells[(sym, label)] = html
    return html


def planning_cells(cells):
    """The ``<td>`` of one row of the grid (one per day of the month)."""
    return mark_safe("".join([planning_cell(sym, label) for sym, label in cells]))


CLOSED_LABELS = frozenset(("Fermé", "Férié", "Vacances"))


def planning_days(dates, rows):
    """The same grid as a list of days, for phones (a month of columns is 1,400 px wide): each day on which
    an activity is open, with each unit's state in words; closed days are left out."""
    out = []
    for i, (_, _, long) in enumerate(dates):
        items = []
        for row in rows:
            sym, label = row["cells"][i]
            if label in CLOSED_LABELS:
                continue
            symbol = f'<span class="cal-sym" aria-hidden="true">{escape(sym)}</span> ' if sym else ""
            items.append(f"<li>{symbol}{escape(row['enrolment'].activity.parent_name)} – {escape(row['unit'].name)} : "
                         f"{escape(label)}</li>")
        if items:
            out.append(f'<li class="cal-day"><h3 class="h6 mb-1 text-capitalize">{escape(long)}</h3>'
                       f'<ul class="small list-unstyled mb-0">{"".join(items)}</ul></li>')
    return mark_safe(f'<ol class="list-unstyled planning-days d-md-none">{"".join(out)}</ol>' if out else "")


def planning_head(dates):
    """The day columns' headers: « Lu 03 » abbreviating « lundi 03/11/2026 »."""
    return mark_safe("".join([f'<th scope="col" class="text-center"><abbr title="{escape(long)}">{escape(short)}'
                              f"</abbr></th>" for _, short, long in dates]))
