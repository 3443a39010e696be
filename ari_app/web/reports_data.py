"""The history's figures, per day and per hour of day, from the daily
aggregates (``ari_app.store.stats``); and their CSV. Pure: no I/O."""

from __future__ import annotations

import csv
import io
from datetime import date

from ..quality.figures import csv_table as quality_csv
from ..quality.figures import text_lines as quality_text
from ..store.stats import summary

# Columns of both tables, API names (English); the page labels them.
DAY_COLUMNS = ("transfers", "answered", "callbacks_requested", "callbacks_dialled", "sla_met",
               "sla_breached", "callbacks_failed", "sla_met_percent", "average_talk_seconds",
               "repeat_rate_percent", "occupancy_percent")
HOUR_COLUMNS = ("transfers", "answered", "callbacks_requested", "average_talk_seconds",
                "seats_ready", "occupancy_percent")
MAX_DAYS = 366


def _row(raw: dict[str, int]) -> dict:
    figures = summary(raw)
    figures["callbacks_dialled"] = figures["callbacks_made"]
    return {c: figures[c] for c in DAY_COLUMNS}


def _hour_raw(raws: list[dict[str, int]], hour: int) -> dict[str, int]:
    suffix, total = f"@{hour:02d}", {}
    for raw in raws:
        for key, value in raw.items():
            if key.endswith(suffix):
                name = key[:-3]
                total[name] = total.get(name, 0) + value
    return total


def _daily(raw: dict[str, int]) -> dict[str, int]:
    """A day's own counters, with its seat minutes (kept by hour only) summed."""
    day = {k: v for k, v in raw.items() if "@" not in k}
    for key in ("seat_ready", "seat_busy"):
        day[key] = sum(v for k, v in raw.items() if k.startswith(key + "@"))
    return day


def _sum(raws: list[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for raw in raws:
        for key, value in raw.items():
            total[key] = total.get(key, 0) + value
    return total


def report(days: dict[date, dict[str, int]]) -> dict:
    """``days``: each day's raw counters, oldest first. Per-day rows, the
    total, and per-hour rows summed over the days (``seats_ready``: seats
    ready on average in that hour, from the sampled seat minutes)."""
    daily = [_daily(raw) for raw in days.values()]
    per_day = [{"day": d.isoformat(), **_row(r)} for d, r in zip(days, daily)]
    minutes = 60 * max(1, len(days))
    per_hour = []
    for hour in range(24):
        raw = _hour_raw(list(days.values()), hour)
        row = _row(raw) | {"average_talk_seconds": summary(raw)["average_talk_seconds"]}
        per_hour.append({"hour": hour, **{c: row.get(c) for c in HOUR_COLUMNS},
                         "seats_ready": round(raw.get("seat_ready", 0) / minutes, 2)})
    return {"days": len(days), "first": per_day[0]["day"] if per_day else None,
            "last": per_day[-1]["day"] if per_day else None, "target_talk_seconds": 148,
            "total": _row(_sum(daily)), "per_day": per_day, "per_hour": per_hour}


def to_csv(data: dict) -> str:
    """Both tables in one CSV: ``scope`` is ``day`` (``period`` a date),
    ``hour`` (``period`` the hour of day, 00-23) or ``total``."""
    out = io.StringIO()
    columns = list(dict.fromkeys(DAY_COLUMNS + HOUR_COLUMNS))
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["scope", "period", *columns])

    def cells(row: dict) -> list:
        return ["" if row.get(c) is None else row.get(c) for c in columns]
    for row in data["per_day"]:
        writer.writerow(["day", row["day"], *cells(row)])
    writer.writerow(["total", f"{data['first']}..{data['last']}", *cells(data["total"])])
    for row in data["per_hour"]:
        writer.writerow(["hour", f"{row['hour']:02d}", *cells(row)])
    quality_csv(writer, data.get("quality"))
    return out.getvalue()


def to_text(data: dict) -> str:
    """A plain table of the days and their total, for a terminal."""
    rows = [{"day": r["day"], **r} for r in data["per_day"]]
    rows.append({"day": "total", **data["total"]})
    columns = ("day",) + DAY_COLUMNS
    cell = [[("–" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cell)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.upper().ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in
                        enumerate(zip(row, widths))) for row in cell]
    lines += quality_text(data.get("quality"))
    return "\n".join(lines)
