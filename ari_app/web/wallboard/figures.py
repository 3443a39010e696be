"""The board's figures: today's (``desk/figures.py``), the seats by state,
each seat's day, and the callbacks by urgency. Pure: the snapshot reads
the board and the store and hands them here."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from ...desk.callback import Callback, at_risk
from ...desk.figures import FIGURES, per_seat, service_level_colour, summary
from ...desk.pauses import PauseLedger, reason_code

# The seats' states as the board counts them (a seat ringing or on hold is
# busy with a call: talking).
STATE_OF = {"ready": "ready", "ringing": "talking", "in-call": "talking",
            "on-hold": "talking", "wrap-up": "wrap-up", "paused": "paused",
            "logged-out": "logged-out", "unregistered": "logged-out"}
STATES = ("ready", "talking", "wrap-up", "paused", "logged-out")


def seat_states(activities: list[tuple[str, str]], codes: set[str]) -> dict:
    """(activity, pause reason) of every seat -> counts by state, and the
    paused ones by reason code."""
    states = Counter(STATE_OF.get(a, "logged-out") for a, _ in activities)
    paused = Counter(reason_code(r, codes) for a, r in activities if a == "paused")
    return {**{s: states.get(s, 0) for s in STATES}, "paused_by_reason": dict(paused)}


def seats_today(raw: dict[str, int], agents: list[str], pauses: PauseLedger, now: float,
                zone: ZoneInfo) -> dict[str, dict]:
    """Each seat's day: the stored counts, and the pause under way so far today."""
    day_start = datetime.fromtimestamp(now, zone).replace(hour=0, minute=0, second=0,
                                                          microsecond=0).timestamp()
    seats = per_seat(raw, agents)
    for agent, day in seats.items():
        under_way = pauses.ongoing(agent, now, day_start)
        if under_way is not None:
            code, spent = under_way
            day["pause_seconds"][code] = day["pause_seconds"].get(code, 0) + round(spent)
    return seats


def today(raw: dict[str, int], colours: dict[str, int], service_level: int) -> dict:
    """Today's figures (``summary``), the service level's colour and threshold."""
    figures = summary(raw)
    return {**figures, "service_level_seconds": service_level,
            "service_level_colour": service_level_colour(figures["service_level_percent"],
                                                         colours),
            "board_figures": [[f.key, f.unit] for f in FIGURES if f.on_board]}


def callback_counts(listed: list[Callback], now: float, at_risk_minutes: int,
                    open_count: int, overdue: int) -> dict:
    """Open, at risk (not yet overdue) and overdue callbacks, and the next
    deadline (Unix seconds), from the listed ones (earliest deadline first)."""
    risky = sum(1 for c in listed
                if at_risk(c, now, at_risk_minutes) and c.times.deadline >= now)
    return {"open": open_count, "at_risk": risky, "overdue": overdue,
            "next_deadline": listed[0].times.deadline if listed else None}
