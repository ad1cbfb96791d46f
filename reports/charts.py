"""Server-drawn SVG bar charts: no script, no inline style, so they work under the Content-Security-Policy.
Each chart is shown with its data as a table (the chart is an image with a text alternative)."""
import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 480, 240
LEFT, BOTTOM, TOP, RIGHT = 52, 40, 12, 8


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    value: float
    title: str


@dataclass
class Chart:
    title: str
    labels: list
    series: list  # [(name, [values])]
    bars: list = field(default_factory=list)
    ticks: list = field(default_factory=list)  # [(y, label)]
    x_labels: list = field(default_factory=list)  # [(x, label)]
    limit_line: list = field(default_factory=list)  # [(x1, y1, x2, y2)] e.g. capacity
    width: int = WIDTH
    height: int = HEIGHT
    plot_bottom: int = HEIGHT - BOTTOM
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT

    @property
    def description(self):
        names = ", ".join(name for name, _ in self.series)
        return f"{self.title} : diagramme en barres ({names}). Les valeurs sont dans le tableau qui suit."


def _nice_max(value):
    """The top of the axis: a round number at or above ``value``, in at most five steps."""
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000):
        if value <= step * 5:
            return step * math.ceil(value / step)
    return math.ceil(value)


def bar_chart(*, title, labels, series, limit=None, label_every=None):
    """Grouped bars: ``series`` is [(name, [value per label])]; ``limit`` an optional [value per label]
    drawn as a step line (capacity). Values may be Decimal or int; None counts as 0."""
    values = [float(v or 0) for _, vals in series for v in vals] + [float(v or 0) for v in (limit or [])]
    top = _nice_max(max(values, default=0))
    chart = Chart(title=title, labels=list(labels), series=series)
    plot_h = chart.plot_bottom - TOP
    n = max(len(labels), 1)
    slot = (chart.plot_right - chart.plot_left) / n
    per = max(len(series), 1)
    bar_w = max(slot * 0.8 / per, 1)
    for i, label in enumerate(labels):
        x0 = chart.plot_left + i * slot + slot * 0.1
        for s, (name, vals) in enumerate(series):
            v = float(vals[i] or 0)
            h = plot_h * v / top
            chart.bars.append(Bar(round(x0 + s * bar_w, 2), round(chart.plot_bottom - h, 2), round(bar_w, 2),
                                  round(h, 2), s, vals[i], f"{label} – {name} : {vals[i]}"))
        if limit is not None and limit[i] is not None:
            y = round(chart.plot_bottom - plot_h * float(limit[i]) / top, 2)
            chart.limit_line.append((round(chart.plot_left + i * slot, 2), y, round(chart.plot_left + (i + 1) * slot, 2), y))
    every = label_every or max(1, (n + 7) // 8)  # at most 8 labels: legible on a phone
    chart.x_labels = [(round(chart.plot_left + i * slot + slot / 2, 2), str(label))
                      for i, label in enumerate(labels) if i % every == 0]
    steps = next((d for d in (4, 5, 2) if float(top) % d == 0), 1)  # round tick values (1250: 5 × 250)
    chart.ticks = [(round(chart.plot_bottom - plot_h * k / steps, 2), _tick(top * k / steps)) for k in range(steps + 1)]
    return chart


def _tick(value):
    return str(int(value)) if value == int(value) else f"{value:.1f}".replace(".", ",")
