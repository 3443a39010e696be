"""The quality figures of a period, from the daily counters (pure).

Satisfaction rate = satisfied ÷ rated (a customer who keyed 1, 2 or 3);
rated share = rated ÷ surveyed (the survey was offered). "Not rated" (no
key, a hang-up, another key) is never a rating: it lowers the rated share,
never the satisfaction rate. None where nothing was there to measure.
Average QA score per seat: the standing scores of its calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from ..desk.figures import summed


def _rates(raw: dict[str, int], suffix: str = "") -> dict[str, float | int | None]:
    surveyed, rated = raw.get("surveyed" + suffix, 0), raw.get("rated" + suffix, 0)
    satisfied = raw.get("satisfied" + suffix, 0)
    return {"surveyed": surveyed, "rated": rated, "satisfied": satisfied,
            "satisfaction_percent": round(100 * satisfied / rated, 1) if rated else None,
            "rated_percent": round(100 * rated / surveyed, 1) if surveyed else None}


def _keys(raws: list[dict[str, int]], mark: str) -> list[str]:
    """Seats (``#``) or topics (``%``) that appear in the ``surveyed`` or ``scored`` counters."""
    found = {f.split(mark, 1)[1] for raw in raws for f in raw
             if f.startswith(("surveyed" + mark, "scored" + mark))}
    return sorted(found)


def figures(days: dict[date, dict[str, int]]) -> dict:
    """Per day, per hour of day, per seat and per topic over ``days``, and the total."""
    raws = list(days.values())
    total = summed(raws)
    per_seat = []
    for seat in _keys(raws, "#"):
        scored = total.get(f"scored#{seat}", 0)
        per_seat.append({"seat": seat, **_rates(total, f"#{seat}"), "scored": scored,
                         "average_score": round(total.get(f"score_sum#{seat}", 0) / scored, 1)
                         if scored else None})
    return {
        "total": _rates(total),
        "per_day": [{"day": d.isoformat(), **_rates(raw)} for d, raw in days.items()],
        "per_hour": [{"hour": h, **_rates(total, f"@{h:02d}")} for h in range(24)],
        "per_seat": per_seat,
        "per_topic": [{"topic": t, **_rates(total, f"%{t}")} for t in _keys(raws, "%")],
    }


COLUMNS = ("surveyed", "rated", "satisfied", "satisfaction_percent", "rated_percent",
           "scored", "average_score")


def csv_rows(data: dict) -> list[list[object]]:
    """Rows for the report's CSV: ``scope`` satisfaction-day/-hour/-seat/-topic/-total."""
    rows: list[list[object]] = []

    def add(scope: str, period: object, row: dict) -> None:
        rows.append([scope, period, *("" if row.get(c) is None else row.get(c)
                                      for c in COLUMNS)])
    for row in data["per_day"]:
        add("satisfaction-day", row["day"], row)
    for row in data["per_hour"]:
        add("satisfaction-hour", f"{row['hour']:02d}", row)
    for row in data["per_seat"]:
        add("satisfaction-seat", row["seat"], row)
    for row in data["per_topic"]:
        add("satisfaction-topic", row["topic"], row)
    add("satisfaction-total", "", data["total"])
    return rows


def csv_table(writer, data: dict | None) -> None:
    """The reports' CSV second table (after a blank line, its own columns);
    nothing without figures."""
    if not data:
        return
    writer.writerow([])
    writer.writerow(["scope", "period", *COLUMNS])
    writer.writerows(csv_rows(data))


def _pct(value: object) -> str:
    return "–" if value is None else f"{value} %"


def text_lines(data: dict | None, words: Mapping[str, str]) -> list[str]:
    """The satisfaction lines under ``datadesk report``'s table, in the
    screen's language: ``words`` are the ``qline.*`` phrases (``web/texts.py``),
    templates of ``day``/``seat``, ``satisfied``, ``rated``, ``surveyed``
    and ``score``; none without figures."""
    if not data:
        return []
    lines = ["", words["qline.title"]]
    for row in data["per_day"] + [{"day": words["qline.total"], **data["total"]}]:
        lines.append(words["qline.day"].format(
            day=row["day"], satisfied=_pct(row["satisfaction_percent"]),
            rated=_pct(row["rated_percent"]), surveyed=row["surveyed"]))
    for row in data["per_seat"]:
        score = "–" if row["average_score"] is None else row["average_score"]
        lines.append(words["qline.seat"].format(
            seat=row["seat"], satisfied=_pct(row["satisfaction_percent"]), score=score))
    return lines
