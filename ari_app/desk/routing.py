"""The routing rule: where a caller transferred to the desk goes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from .board import Board
from .calendar import ServiceCalendar
from .topics import Topic, TopicKind

GROUP = "desk"


class Route(str, Enum):
    QUEUE = "queue"              # the desk queue: Asterisk picks the seat
    SEAT = "seat"                # one named specialist
    CALLBACK = "callback"        # nobody can take the call now: capture a callback
    OUT_OF_SCOPE = "out-of-scope"  # not the desk's business: back to the frontline
    FALLBACK = "fallback"        # the controller cannot judge: the dialplan decides


class NamedUnavailable(str, Enum):
    """What happens to a transfer to a named specialist who is not ready."""
    GROUP = "group"
    CALLBACK = "callback"


@dataclass(frozen=True)
class RoutingPolicy:
    named_unavailable: NamedUnavailable = NamedUnavailable.GROUP
    sla: timedelta = timedelta(minutes=60)


@dataclass(frozen=True)
class Decision:
    route: Route
    reason: str
    seat: str | None = None
    topic: Topic | None = None
    deadline: datetime | None = None   # for callbacks: when the SLA runs out


def decide(board: Board, calendar: ServiceCalendar, now: datetime, *, target: str = GROUP,
           topic: Topic | None = None, policy: RoutingPolicy = RoutingPolicy()) -> Decision:
    """Route a caller transferred to ``target`` (``desk`` or an agent ID).

    In order: a topic out of the desk's scope goes back to the frontline; a
    closed desk or a callback-only topic means a callback; without a board in
    sync with Asterisk the dialplan's own fallback decides; a named
    specialist who is ready gets the call, one who is not falls back to the
    group or to a callback (``policy``); the group takes the call when any
    seat is ready (the queue then picks the seat), else a callback. Callbacks
    carry their SLA deadline. ``now`` is an aware datetime. Pure: no I/O.
    """
    def callback(reason: str) -> Decision:
        return Decision(Route.CALLBACK, reason, topic=topic,
                        deadline=calendar.sla_deadline(now, policy.sla))

    if topic is not None and topic.kind is TopicKind.OUT_OF_SCOPE:
        return Decision(Route.OUT_OF_SCOPE, f"topic {topic.name} is not handled by the desk",
                        topic=topic)
    if not calendar.is_open(now):
        opens = calendar.next_opening(now)
        return callback(f"desk closed (opens {opens:%a %H:%M})")
    if topic is not None and topic.kind is TopicKind.CALLBACK_ONLY:
        return callback(f"topic {topic.name} is served by callback only")
    if not board.synced:
        return Decision(Route.FALLBACK, "seat presence unknown (AMI not in sync)", topic=topic)
    ts = now.timestamp()
    if target != GROUP:
        seat = board.get(target)
        if seat is not None and seat.ready(ts):
            return Decision(Route.SEAT, f"specialist {target} is ready", seat=target, topic=topic)
        if policy.named_unavailable is NamedUnavailable.CALLBACK:
            return callback(f"specialist {target} is not ready")
    ready = board.ready_seats(ts)
    if ready:
        return Decision(Route.QUEUE, f"{len(ready)} seat(s) ready", topic=topic)
    return callback("no seat ready")


class DeskStatus(str, Enum):
    """The desk lamp shown to the frontline (BLF, API, wallboard)."""
    FREE = "free"      # a seat is ready
    BUSY = "busy"      # open, but every seat is busy, paused or away
    CLOSED = "closed"  # outside opening hours


def desk_status(board: Board, calendar: ServiceCalendar, now: datetime) -> DeskStatus:
    if not calendar.is_open(now):
        return DeskStatus.CLOSED
    return DeskStatus.FREE if board.ready_seats(now.timestamp()) else DeskStatus.BUSY
