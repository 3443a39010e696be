"""The history's figures, per day, per hour of day and per seat, from the
daily aggregates (``ari_app.store.stats``); their CSV and a terminal's
table. Pure: no I/O. The columns are ``desk/figures.FIGURES``'s."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date

from ..desk.figures import FIGURES, per_seat, summary, summed
from ..quality.figures import csv_table as quality_csv
from ..quality.figures import text_lines as quality_text

# Columns of the tables, API names (English); the page labels them.
DAY_COLUMNS = tuple(f.key for f in FIGURES)
HOUR_COLUMNS = tuple(f.key for f in FIGURES if f.per_hour) + ("seats_ready",)
SEAT_COLUMNS = ("live", "callbacks", "talk_seconds", "average_talk_seconds")
MAX_DAYS = 366


def _row(raw: dict[str, int]) -> dict:
    figures = summary(raw)
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


def _seats(total: dict[str, int], seats: tuple[str, ...], codes: tuple[str, ...]) -> list[dict]:
    rows = []
    for agent, day in per_seat(total, seats).items():
        handled = day["live"] + day["callbacks"]
        rows.append({"seat": agent, "live": day["live"], "callbacks": day["callbacks"],
                     "talk_seconds": day["talk_seconds"],
                     "average_talk_seconds": round(day["talk_seconds"] / handled, 1)
                     if handled else None,
                     "pause_seconds": {c: day["pause_seconds"].get(c, 0) for c in codes}})
    return rows


def report(days: dict[date, dict[str, int]], seats: tuple[str, ...] = (),
           codes: tuple[str, ...] = ()) -> dict:
    """``days``: each day's raw counters, oldest first; ``seats`` the desk's
    agent IDs and ``codes`` its pause reason codes. Per-day rows, the total,
    per-hour rows summed over the days (``seats_ready``: seats ready on
    average in that hour, from the sampled seat minutes) and per-seat rows
    over the whole window."""
    daily = [_daily(raw) for raw in days.values()]
    per_day = [{"day": d.isoformat(), **_row(r)} for d, r in zip(days, daily)]
    minutes = 60 * max(1, len(days))
    per_hour = []
    for hour in range(24):
        raw = _hour_raw(list(days.values()), hour)
        row = _row(raw)
        per_hour.append({"hour": hour, **{c: row.get(c) for c in HOUR_COLUMNS},
                         "seats_ready": round(raw.get("seat_ready", 0) / minutes, 2)})
    total = summed(daily)
    return {"days": len(days), "first": per_day[0]["day"] if per_day else None,
            "last": per_day[-1]["day"] if per_day else None, "target_talk_seconds": 148,
            "total": _row(total), "per_day": per_day, "per_hour": per_hour,
            "pause_codes": list(codes), "per_seat": _seats(total, seats, codes)}


def _seat_cells(row: dict, codes: list[str]) -> list:
    return [row["seat"], *("" if row.get(c) is None else row[c] for c in SEAT_COLUMNS),
            *(row["pause_seconds"].get(c, 0) for c in codes)]


def to_csv(data: dict) -> str:
    """Every table in one CSV: ``scope`` is ``day`` (``period`` a date),
    ``total``, ``hour`` (``period`` the hour of day, 00-23) or ``seat``
    (``period`` the window, ``seat`` and the ``seat_*`` columns filled);
    then, after a blank line, the satisfaction table with its own columns."""
    out = io.StringIO()
    codes = list(data.get("pause_codes", []))
    columns = list(dict.fromkeys(DAY_COLUMNS + HOUR_COLUMNS))
    seat_columns = ["seat", *(f"seat_{c}" for c in SEAT_COLUMNS),
                    *(f"seat_pause_{c}_seconds" for c in codes)]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["scope", "period", *columns, *seat_columns])
    blank = [""] * len(seat_columns)

    def cells(row: dict) -> list:
        return ["" if row.get(c) is None else row.get(c) for c in columns]
    window = f"{data['first']}..{data['last']}"
    for row in data["per_day"]:
        writer.writerow(["day", row["day"], *cells(row), *blank])
    writer.writerow(["total", window, *cells(data["total"]), *blank])
    for row in data["per_hour"]:
        writer.writerow(["hour", f"{row['hour']:02d}", *cells(row), *blank])
    for row in data.get("per_seat", []):
        writer.writerow(["seat", window, *[""] * len(columns), *_seat_cells(row, codes)])
    quality_csv(writer, data.get("quality"))
    return out.getvalue()


# The terminal's table: the figures a supervisor reads first, short headings.
TEXT_COLUMNS = ("transfers", "answered", "service_level_percent", "abandoned",
                "abandoned_percent", "average_speed_of_answer_seconds",
                "average_handle_seconds", "callbacks_dialled", "sla_met_percent")


def text_heads(data: dict, lang: str,
               pause_reasons: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    """``to_text``'s headings in ``lang`` (zh or en); pause codes by their
    names in ``pause_reasons``, else the code itself."""
    from .texts import texts
    t, n = texts(lang), data.get("service_level_seconds", 20)
    index = 0 if lang == "zh" else 1
    heads = {k[len("short."):]: v.format(n=n) for k, v in t.items() if k.startswith("short.")}
    heads |= {k: v for k, v in t.items() if k.startswith("qline.")}
    for code in data.get("pause_codes", []):
        name = (pause_reasons or {}).get(code, (code, code))[index]
        heads[f"pause.{code}"] = f"{name}秒" if lang == "zh" \
            else f"{name.upper().replace('-', '_')}_S"
    return heads


def _aligned(rows: list[list[str]], width: Callable[[str], int]) -> list[str]:
    widths = [max(width(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join((v + " " * (w - width(v))) if i == 0 else (" " * (w - width(v)) + v)
                      for i, (v, w) in enumerate(zip(row, widths))).rstrip() for row in rows]


def to_text(data: dict, heads: dict[str, str] | None = None,
            width: Callable[[str], int] = len) -> str:
    """The days, their total and the seats as plain tables for a terminal,
    headed in the screen's language (``heads``: column -> heading, with
    ``day``, ``total``, ``seat``, each pause code's ``pause.<code>`` and the
    satisfaction lines' ``qline.*``)."""
    def cell(v: object) -> str:
        return "–" if v is None else str(v)
    heads = heads or text_heads(data, "en")
    rows = [[heads["day"], *(heads[c] for c in TEXT_COLUMNS)]]
    rows += [[r["day"], *(cell(r.get(c)) for c in TEXT_COLUMNS)] for r in data["per_day"]]
    rows.append([heads["total"], *(cell(data["total"].get(c)) for c in TEXT_COLUMNS)])
    lines = _aligned(rows, width)
    codes = data.get("pause_codes", [])
    if data.get("per_seat"):
        seats = [[heads["seat"], *(heads[f"seat.{c}"] for c in SEAT_COLUMNS),
                  *(heads[f"pause.{c}"] for c in codes)]]
        seats += [[r["seat"], *(cell(r.get(c)) for c in SEAT_COLUMNS),
                   *(cell(r["pause_seconds"].get(c)) for c in codes)] for r in data["per_seat"]]
        lines += [""] + _aligned(seats, width)
    lines += quality_text(data.get("quality"), heads)
    return "\n".join(lines)
