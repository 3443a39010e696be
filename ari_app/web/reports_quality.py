"""The reports' quality section: satisfaction and QA scores (``quality.figures``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from html import escape

from ..quality.figures import figures
from ..store.quality_stats import QualityStats

DAY = ("surveyed", "rated", "satisfied", "satisfaction_percent", "rated_percent")
SEAT = DAY + ("scored", "average_score")


async def gather(stats: QualityStats | None, last: date, days: int) -> dict | None:
    """The figures of the ``days`` days up to ``last``; None without a store."""
    if stats is None:
        return None
    return figures(await stats.days(last - timedelta(days=days - 1), last))


async def today(stats: QualityStats, now: datetime) -> dict:
    """Today's satisfaction rate and rated share (the wallboard's)."""
    day = now.astimezone(stats.zone).date()
    return figures(await stats.days(day, day))["total"]


def _cell(value) -> str:
    return "–" if value is None else escape(str(value))


def _table(t: dict, first: str, key: str, columns: tuple[str, ...], rows: list[dict]) -> str:
    head = "".join(f"<th>{escape(t['q.' + c])}</th>" for c in columns)
    body = "".join(f'<tr data-q-{key}="{escape(str(r[key]))}"><td>{escape(str(r[key]))}</td>'
                   + "".join(f'<td data-col="{c}">{_cell(r.get(c))}</td>' for c in columns)
                   + "</tr>" for r in rows)
    return (f"<table><thead><tr><th>{escape(first)}</th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def section(t: dict, data: dict | None) -> str:
    """The section of the reports page (empty without figures)."""
    if data is None:
        return ""
    hours = [r for r in data["per_hour"] if r["surveyed"]]
    total = {"day": t["total"], **data["total"]}
    return (f'<h2 id="satisfaction">{escape(t["q.title"])}</h2>'
            + _table(t, t["day"], "day", DAY, data["per_day"] + [total])
            + f'<h2>{escape(t["q.per_seat"])}</h2>'
            + _table(t, t["q.seat"], "seat", SEAT, data["per_seat"])
            + f'<h2>{escape(t["q.per_topic"])}</h2>'
            + _table(t, t["col.topic"], "topic", DAY, data["per_topic"])
            + f'<h2>{escape(t["q.per_hour"])}</h2>' + _table(t, t["hour"], "hour", DAY, hours))
