"""The routing rule: where a caller transferred to the desk goes."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from .board import Board

GROUP = "desk"


class Route(str, Enum):
    QUEUE = "queue"        # the desk queue: Asterisk picks the seat
    SEAT = "seat"          # one named specialist
    CALLBACK = "callback"  # nobody can take the call: capture a callback
    FALLBACK = "fallback"  # the controller cannot judge: the dialplan decides


@dataclass(frozen=True)
class Decision:
    route: Route
    reason: str
    seat: str | None = None


def decide(board: Board, target: str, now: float) -> Decision:
    """Route a caller transferred to ``target`` (``desk`` or an agent ID).

    A named specialist who is ready gets the call; one who is not falls back
    to the group. The group takes the call when any seat is ready (the queue's
    own member selection then picks it); otherwise the caller goes to the
    callback path. Without a board in sync with Asterisk the dialplan's own
    fallback decides. ``now`` is Unix seconds. Pure: no I/O, no clock.
    """
    if not board.synced:
        return Decision(Route.FALLBACK, "seat presence unknown (AMI not in sync)")
    if target != GROUP:
        seat = board.get(target)
        if seat is not None and seat.ready(now):
            return Decision(Route.SEAT, f"specialist {target} is ready", seat=target)
    ready = board.ready_seats(now)
    if ready:
        return Decision(Route.QUEUE, f"{len(ready)} seat(s) ready")
    return Decision(Route.CALLBACK, "no seat ready")
