"""Plots for the reports page, drawn on the server as SVG: no script, no
network resource, readable at a glance (large labels, one idea a plot)."""

from __future__ import annotations

import math
from html import escape

# The viewBox: a plot is drawn about this wide on a 1920-wide overview (two
# a row), so FONT is close to its size in pixels there.
W, H, LEFT, BOTTOM, TOP, FONT = 960, 330, 70, 44, 18, 20
GOOD, LOAD, READY, AXIS = "#1e8e3e", "#1a73e8", "#f29900", "#5f6368"
BAD = "#d93025"


def ticks(vmax: float, most: int = 5) -> tuple[float, int]:
    """A top of scale and a number of grid steps such that every label is a
    whole number, none repeated (a first day's 2 calls read 0, 1, 2, never
    "2, 2, 1, 0, 0"), with at most ``most`` steps."""
    top = max(1, math.ceil(vmax - 1e-9))
    if top <= most:
        return float(top), top
    scale = 1
    while True:
        for nice in (1, 2, 5):
            step = nice * scale
            if math.ceil(top / step) <= most:
                n = math.ceil(top / step)
                return float(n * step), n
        scale *= 10


def _frame(title: str, body: list[str], ymax: float, steps: int = 4, unit: str = "") -> str:
    plot_h = H - BOTTOM - TOP
    grid = []
    for i in range(steps + 1):
        y = TOP + plot_h - plot_h * i / steps
        label = ymax * i / steps
        grid.append(f'<line x1="{LEFT}" x2="{W}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e6ea"/>'
                    f'<text x="{LEFT - 8}" y="{y + 6:.1f}" text-anchor="end">'
                    f'{label:.0f}{unit}</text>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
            f'aria-label="{escape(title)}" font-size="{FONT}" fill="{AXIS}" '
            f'font-family="Noto Sans CJK SC,Noto Sans,sans-serif">'
            + "".join(grid) + "".join(body) + "</svg>")


def percent_per_day(rows: list[dict], key: str, colour: str = GOOD) -> str:
    """A bar a day, its ``key`` (a percent) written on top; a day with
    nothing measured has no bar, only its date."""
    n = max(1, len(rows))
    step = (W - LEFT) / n
    plot_h = H - BOTTOM - TOP
    body = []
    for i, row in enumerate(rows):
        x = LEFT + i * step
        value = row.get(key)
        if value is not None:
            h = plot_h * value / 100
            body.append(f'<rect x="{x + step * .15:.1f}" y="{TOP + plot_h - h:.1f}" '
                        f'width="{step * .7:.1f}" height="{h:.1f}" fill="{colour}">'
                        f'<title>{escape(row["day"])}: {value} %</title></rect>')
            if n <= 31:
                inside = h > FONT + 6
                body.append(f'<text x="{x + step / 2:.1f}" y="{TOP + plot_h - h + (FONT + 2 if inside else -6):.1f}" '
                            f'text-anchor="middle" fill="{"#fff" if inside else colour}" '
                            f'font-weight="700">{value:.0f}</text>')
        if n <= 10 or i % max(1, math.ceil(n / 8)) == 0:
            body.append(f'<text x="{x + step / 2:.1f}" y="{H - 14}" text-anchor="middle">'
                        f'{escape(row["day"][5:])}</text>')
    return _frame(key, body, 100, 4, "%")


def sla_per_day(rows: list[dict]) -> str:
    """The callbacks' SLA met % per day."""
    return percent_per_day(rows, "sla_met_percent")


def abandoned_per_day(rows: list[dict], places: tuple[str, ...], colours: tuple[str, ...]) -> str:
    """Callers who left before a seat answered, a stacked bar a day by where
    they left (``abandoned_<place>``), whole-number scale."""
    n = max(1, len(rows))
    step = (W - LEFT) / n
    plot_h = H - BOTTOM - TOP
    ymax, steps = ticks(max([0, *(sum(r.get(f"abandoned_{p}") or 0 for p in places)
                                 for r in rows)]))
    body = []
    for i, row in enumerate(rows):
        x, base = LEFT + i * step, TOP + plot_h
        for place, colour in zip(places, colours):
            value = row.get(f"abandoned_{place}") or 0
            h = plot_h * value / ymax
            if value:
                body.append(f'<rect class="abandoned-{place}" x="{x + step * .15:.1f}" '
                            f'y="{base - h:.1f}" width="{step * .7:.1f}" height="{h:.1f}" '
                            f'fill="{colour}"><title>{escape(row["day"])} {place}: '
                            f'{value}</title></rect>')
            base -= h
        if n <= 10 or i % max(1, math.ceil(n / 8)) == 0:
            body.append(f'<text x="{x + step / 2:.1f}" y="{H - 14}" text-anchor="middle">'
                        f'{escape(row["day"][5:])}</text>')
    return _frame("abandoned", body, ymax, steps)


def load_per_hour(rows: list[dict], days: int) -> str:
    """Transfers per hour of day (average a day, bars, left scale) against
    the seats ready in that hour (average, a line, its own scale on the
    right: seats are a handful, calls are many)."""
    days = max(1, days)
    load = [r["transfers"] / days for r in rows]
    ready = [r["seats_ready"] for r in rows]
    ymax, steps = ticks(max([0.0, *load]))
    rmax, rsteps = ticks(max([0.0, *ready]))
    step = (W - LEFT) / 24
    plot_h = H - BOTTOM - TOP
    body, points = [], []
    for i, (value, seats) in enumerate(zip(load, ready)):
        x = LEFT + i * step
        h = plot_h * value / ymax
        body.append(f'<rect x="{x + step * .15:.1f}" y="{TOP + plot_h - h:.1f}" '
                    f'width="{step * .7:.1f}" height="{h:.1f}" fill="{LOAD}">'
                    f'<title>{i:02d}: {value:.1f}</title></rect>')
        points.append(f"{x + step / 2:.1f},{TOP + plot_h - plot_h * seats / rmax:.1f}")
        body.append(f'<text x="{x + step / 2:.1f}" y="{H - 14}" text-anchor="middle">'
                    f'{i:02d}</text>')
    body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{READY}" '
                f'stroke-width="4"/>')
    for i in range(rsteps + 1):  # the seats' scale, right
        body.append(f'<text x="{W - 4}" y="{TOP + plot_h - plot_h * i / rsteps - 4:.1f}" '
                    f'text-anchor="end" fill="{READY}" font-weight="700">'
                    f'{rmax * i / rsteps:.0f}</text>')
    return _frame("load", body, ymax, steps)


def _scale(*values: float) -> float:
    """A top of scale in whole multiples of 4 above every value: the four
    grid steps then fall on whole numbers (seats are counted whole)."""
    return 4.0 * (int(max([1.0, *values]) // 4) + 1)


def sizing_per_hour(rows: list[dict], seats: int, seats_label: str) -> str:
    """Offered load per hour of day (Erlangs, bars) with the Erlang C seats
    for 80/20 (a step line) against the desk's ``seats`` (a dashed line
    labelled ``seats_label``); one scale, Erlangs being seats kept busy.
    ``rows``: ``sizing_rows``' 24 rows (``hour``, ``erlangs``, ``seats_80_20``)."""
    ymax = _scale(seats, *(r["erlangs"] for r in rows), *(r["seats_80_20"] for r in rows))
    step = (W - LEFT) / 24
    plot_h = H - BOTTOM - TOP

    def y(value: float) -> float:
        return TOP + plot_h - plot_h * value / ymax
    body, steps = [], []
    for row in rows:
        x = LEFT + row["hour"] * step
        if row["erlangs"] > 0:
            h = plot_h * row["erlangs"] / ymax
            body.append(f'<rect class="erlangs" data-hour="{row["hour"]}" '
                        f'x="{x + step * .15:.1f}" y="{TOP + plot_h - h:.1f}" '
                        f'width="{step * .7:.1f}" height="{h:.1f}" fill="{LOAD}">'
                        f'<title>{row["hour"]:02d}: {row["erlangs"]:.2f} E</title></rect>')
        steps.append(f"{x:.1f},{y(row['seats_80_20']):.1f} {x + step:.1f},"
                     f"{y(row['seats_80_20']):.1f}")
        body.append(f'<text x="{x + step / 2:.1f}" y="{H - 14}" text-anchor="middle">'
                    f'{row["hour"]:02d}</text>')
    body.append(f'<polyline class="seats-80-20" points="{" ".join(steps)}" fill="none" '
                f'stroke="{READY}" stroke-width="4"/>')
    body.append(f'<line class="desk-seats" x1="{LEFT}" x2="{W}" y1="{y(seats):.1f}" '
                f'y2="{y(seats):.1f}" stroke="{BAD}" stroke-width="2" stroke-dasharray="8 6"/>'
                f'<text x="{W - 6}" y="{y(seats) - 6:.1f}" text-anchor="end" fill="{BAD}" '
                f'font-weight="700">{escape(seats_label)}</text>')
    return _frame("sizing", body, ymax)
