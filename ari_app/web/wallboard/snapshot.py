"""The wallboard's snapshot: what the page shows, as JSON.

Instants are ISO 8601 in UTC with ``Z`` (``ari_app.timefmt``); the page
writes them in the desk's time zone (``zone``). Customer numbers leave the
server whole only for a token whose role may see them (``for_viewer``).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timezone

from ...desk.callback import at_risk
from ...desk.numbers import mask
from ...desk.routing import desk_status
from ...desk.topics import display_name
from ...timefmt import for_machines
from ..callbacks_api import present
from ..stalls import wallboard_part

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


def _seat(seat, ts: float, names: dict[str, str]) -> dict:
    return {"agent_id": seat.agent_id, "name": names.get(seat.agent_id) or seat.agent_id,
            "activity": seat.activity(ts), "reason": seat.paused_reason,
            "since": for_machines(seat.changed_at) if seat.changed_at else None,
            "registered": seat.registered, "ready": seat.ready(ts)}


def _callback(callback, now: datetime, config: BoardConfig) -> dict:
    shown = present(callback)
    # The one SLA-risk rule (ari_app/desk/callback.py): the dialer's precedence,
    # the alerts and this amber all agree on which callback is at risk.
    shown["at_risk"] = at_risk(callback, now.timestamp(), config.at_risk_minutes)
    shown["topic_names"] = {lang: display_name(shown.get("topic") or "", lang)
                            for lang in ("zh", "en")}
    return shown


async def build_snapshot(controller, config: BoardConfig) -> dict:
    now = datetime.now(timezone.utc)
    ts = now.timestamp()
    board = controller.board
    seats = [_seat(s, ts, config.seat_names) for s in board]
    joined = [at for at in getattr(board.callers, "values", lambda: [])() if at]
    try:
        if controller.store.up is False:    # known away: no read to wait on
            raise ConnectionError("Redis unreachable")
        async with asyncio.timeout(STORE_WAIT):
            callbacks = [_callback(c, now, config)
                         for c in await controller.callbacks.open_callbacks(50)]
            open_count = await controller.callbacks.count_open()
            stats = await controller.stats.today()
    except Exception:  # Redis away or hung: show the board, say the rest is unknown
        callbacks, open_count, stats = None, None, None
    return {"stalls": wallboard_part(controller, store_read=callbacks is not None),"now": for_machines(now, milliseconds=True), "zone": config.zone,
            "desk": desk_status(board, controller.calendar, now).value,
            "synced": board.synced, "waiting": board.waiting,
            "longest_wait_since": for_machines(min(joined)) if joined else None,
            "seats": seats, "open_callbacks": open_count, "callbacks": callbacks,
            "today": stats}


def for_viewer(snapshot: dict, full_numbers: bool) -> dict:
    """The snapshot as one viewer may see it: numbers masked unless
    ``full_numbers``. A copy; the snapshot itself is left whole."""
    if full_numbers or not snapshot.get("callbacks"):
        return snapshot
    masked = [{**c, "number": mask(c.get("number", ""))} for c in snapshot["callbacks"]]
    return {**snapshot, "callbacks": masked}
