"""The wallboard's snapshot: what the page shows, as JSON.

Instants are ISO 8601 in UTC with ``Z`` (``ari_app.timefmt``); the page
writes them in the desk's time zone (``zone``). Customer numbers leave the
server whole only for a token whose role may see them (``for_viewer``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ...desk.callback import at_risk
from ...desk.numbers import mask
from ...desk.pauses import reason_code
from ...desk.routing import desk_status
from ...desk.topics import display_name
from ...store.away import STORE_ERRORS
from ...settings.schema import DeskSettings
from ...timefmt import for_machines
from ..callbacks_api import present
from ..stalls import wallboard_part
from . import figures

# Seconds the snapshot waits for the callback store: a hung Redis must not
# hold the page's stream past its 3 s "connection lost" threshold.
STORE_WAIT = 1.5


@dataclass(frozen=True)
class BoardConfig:
    """What the wallboard takes from the settings."""
    zone: str = "Asia/Shanghai"
    seat_names: dict[str, str] = field(default_factory=dict)
    at_risk_minutes: int = 15
    language: str = "zh"
    service_level: int = DeskSettings.service_level
    service_level_colours: dict[str, int] = field(
        default_factory=lambda: dict(DeskSettings().service_level_colours))
    pause_reasons: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(DeskSettings().pause_reasons))


def _seat(seat, ts: float, names: dict[str, str], codes: set[str]) -> dict:
    return {"agent_id": seat.agent_id, "name": names.get(seat.agent_id) or seat.agent_id,
            "activity": seat.activity(ts), "reason": seat.paused_reason,
            "reason_code": reason_code(seat.paused_reason, codes) if seat.paused else "",
            "since": for_machines(seat.changed_at) if seat.changed_at else None,
            "registered": seat.registered, "ready": seat.ready(ts)}


def _callback(callback, now: datetime, config: BoardConfig) -> dict:
    shown = present(callback)
    # The one SLA-risk rule (ari_app/desk/callback.py): the dialer's precedence,
    # the alerts and this amber all agree on which callback is at risk.
    shown["at_risk"] = at_risk(callback, now.timestamp(), config.at_risk_minutes)
    shown["overdue"] = callback.times.deadline < now.timestamp()
    shown["topic_names"] = {lang: display_name(shown.get("topic") or "", lang)
                            for lang in ("zh", "en")}
    return shown


async def _stored(controller, now: datetime, config: BoardConfig) -> dict:
    """What the board reads from the store; raises ``STORE_ERRORS``."""
    typed = await controller.callbacks.open_callbacks(50)
    open_count = await controller.callbacks.count_open()
    overdue = await controller.callbacks.count_overdue(now.timestamp())
    counts = figures.callback_counts(typed, now.timestamp(), config.at_risk_minutes,
                                     open_count, overdue)
    raw = await controller.stats.today_counters()
    zone = ZoneInfo(config.zone)
    agents = [s.agent_id for s in controller.board]
    counts["next_deadline"] = for_machines(counts["next_deadline"])
    return {"callbacks": [_callback(c, now, config) for c in typed], "open_callbacks": open_count,
            "callback_counts": counts,
            "today": figures.today(raw, config.service_level_colours, config.service_level),
            "seats_today": figures.seats_today(raw, agents, controller.calls.pauses,
                                               now.timestamp(), zone)}


async def build_snapshot(controller, config: BoardConfig) -> dict:
    """Everything the board shows now; the store's part ``None`` while it is away."""
    now = datetime.now(timezone.utc)
    ts = now.timestamp()
    board = controller.board
    codes = set(config.pause_reasons)
    seats = [_seat(s, ts, config.seat_names, codes) for s in board]
    joined = [at for at in getattr(board.callers, "values", lambda: [])() if at]
    try:
        if controller.store.up is False:    # known away: no read to wait on
            raise ConnectionError("Redis unreachable")
        async with asyncio.timeout(STORE_WAIT):
            stored = await _stored(controller, now, config)
    except STORE_ERRORS:  # Redis away or hung: show the board, say the rest is unknown
        stored = dict.fromkeys(("callbacks", "open_callbacks", "callback_counts", "today",
                                "seats_today"))
    seats_today = stored.pop("seats_today") or {}
    for seat in seats:
        seat["today"] = seats_today.get(seat["agent_id"])
    return {"stalls": wallboard_part(controller, store_read=stored["callbacks"] is not None),
            "now": for_machines(now, milliseconds=True), "zone": config.zone,
            "date": now.astimezone(ZoneInfo(config.zone)).date().isoformat(),
            "desk": desk_status(board, controller.calendar, now).value,
            "synced": board.synced, "waiting": board.waiting,
            "longest_wait_since": for_machines(min(joined)) if joined else None,
            "longest_wait_seconds": round(ts - min(joined)) if joined else None,
            "seats": seats,
            "seat_states": figures.seat_states(
                [(s.activity(ts), s.paused_reason) for s in board], codes),
            "service_level_seconds": config.service_level,   # a setting: known with Redis away
            "pause_reasons": {code: {"zh": names[0], "en": names[1]}
                              for code, names in config.pause_reasons.items()},
            **stored}


def for_viewer(snapshot: dict, full_numbers: bool) -> dict:
    """The snapshot as one viewer may see it: numbers masked unless
    ``full_numbers``. A copy; the snapshot itself is left whole."""
    if full_numbers or not snapshot.get("callbacks"):
        return snapshot
    masked = [{**c, "number": mask(c.get("number", ""))} for c in snapshot["callbacks"]]
    return {**snapshot, "callbacks": masked}
