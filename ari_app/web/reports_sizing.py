"""The reports page's sizing section: per hour of day, the offered load
measured from the desk's own traffic and the Erlang C seats for 80/20
against the desk's seats, as a plot and a table.

It is sized from the daily aggregates the page has already read (no second
read of Redis), over the whole days of the page's window (today is not over:
its hours would count short), at most ``MAX_SIZING_DAYS``. The SLA
simulation (``datadesk sizing``) takes minutes of CPU: never run here.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date
from html import escape

from ..desk.sizing import hourly_rows
from ..sizing_report import profile_from_days
from .reports_svg import BAD, LOAD, READY, sizing_per_hour

# Four weeks: every weekday four times; older traffic says less about the
# next weeks, and a window past the aggregates' retention would count
# expired days as quiet ones.
MAX_SIZING_DAYS = 28
# The most seats the page sizes an hour for: far past any one desk, and a
# bound on the Erlang C search however large the counters read from Redis.
MAX_SIZED_SEATS = 1000

log = logging.getLogger(__name__)
COLUMNS = ("arrivals", "erlangs", "seats_80_20")


def sizing(days: dict[date, dict[str, int]], today: date, wrapup: float) -> dict | None:
    """``days``: the page's raw daily counters (oldest first). The profile
    and rows of its whole days before ``today`` (the last ``MAX_SIZING_DAYS``),
    or None when they hold no transfer."""
    whole = [raw for day, raw in days.items() if day < today][-MAX_SIZING_DAYS:]
    profile = profile_from_days(whole, wrapup)
    if profile is None:
        return None
    try:
        rows = hourly_rows(profile, max_seats=MAX_SIZED_SEATS)
    except ValueError as exc:
        log.warning("reports: the measured traffic was not sized (%s); check the daily "
                    "figures in Redis (datadesk:stats:*)", exc)
        return {"profile": profile, "rows": None}
    return {"profile": profile, "rows": [asdict(r) for r in rows]}


def _table(t: dict, rows: list[dict]) -> str:
    head = "".join(f"<th>{escape(t['sizing.' + c])}</th>" for c in COLUMNS)
    body = "".join(
        f'<tr data-sizing-hour="{r["hour"]}"><td>{r["hour"]:02d}</td>'
        f'<td data-col="arrivals">{r["arrivals"]:.2f}</td>'
        f'<td data-col="erlangs">{r["erlangs"]:.3f}</td>'
        f'<td data-col="seats_80_20">{r["seats_80_20"]}</td></tr>'
        for r in rows if r["arrivals"] > 0)
    return (f'<table id="sizing-table"><thead><tr><th>{escape(t["hour"])}</th>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table>")


def section(t: dict, measured: dict | None, seats: int) -> str:
    """The section's HTML in the phrases ``t``: a message instead of a plot
    of zeros when nothing was measured."""
    title = f'<h2 id="sizing">{escape(t["sizing"])}</h2>'
    if measured is None:
        return f'{title}<p id="sizing-empty">{escape(t["sizing.empty"])}</p>'
    if measured["rows"] is None:
        return (f'{title}<p id="sizing-unsized">'
                f'{escape(t["sizing.unsized"].format(n=MAX_SIZED_SEATS))}</p>')
    p = measured["profile"]
    summary = t["sizing.window"].format(n=p.days, calls=f"{p.per_day:.0f}",
                                        talk=f"{p.talk_mean:.0f}", wrapup=f"{p.wrapup:.0f}")
    keys = (f'<span class="key" style="background:{LOAD}"></span>{escape(t["sizing.erlangs"])}'
            f'<span class="key" style="background:{READY}"></span>'
            f'{escape(t["sizing.seats_80_20"])}<span class="key" style="background:{BAD}">'
            f'</span>{escape(t["sizing.desk"].format(n=seats))}')
    plot = sizing_per_hour(measured["rows"], seats, t["sizing.desk"].format(n=seats))
    return (f'{title}<div>{escape(summary)}</div><div>{keys}</div>'
            f'<div class="plot wide">{plot}</div>'
            f'{_table(t, measured["rows"])}<p id="sizing-note">{escape(t["sizing.note"])}'
            '<code>datadesk sizing</code></p>')
