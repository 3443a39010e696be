"""Seat presence from AMI: queue member events into the board.

Asterisk keeps no events for a client that was away, so after every (re)connect
the board is rebuilt from ``QueueStatus``. Member events that arrive while the
snapshot is being read are held and applied after it; if any arrived, the
snapshot is read again (a few times at most) so the board ends equal to
Asterisk's own view rather than to an interleaving of the two.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from panoramisk.message import Message

from ..desk.board import Board, DeviceState, Seat
from .ami import AmiClient

log = logging.getLogger(__name__)

MEMBER_EVENTS = ("QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause",
                 "QueueMemberStatus", "QueueMemberPenalty", "QueueMemberRingInUse")


def agent_id_of(interface: str) -> str:
    """``PJSIP/8601`` -> ``8601`` (the seat's endpoint name is its agent ID)."""
    return interface.split("/", 1)[1] if "/" in interface else interface


def _num(value: object, default: float = 0.0) -> float:
    try:
        return float(str(value))
    except ValueError:
        return default


def seat_from_event(msg: Message, now: float, queue_wrapup: int = 0) -> Seat:
    """A queue member event (or a QueueStatus ``QueueMember`` row) as a Seat.

    ``queue_wrapup`` is the queue's wrap-up (seconds), used unless the member
    has its own: AMI reports only the member's.
    """
    interface = msg.get("Interface") or msg.get("Location") or ""
    return Seat(
        agent_id=agent_id_of(interface),
        interface=interface,
        in_queue=True,
        paused=msg.get("Paused") == "1",
        paused_reason=msg.get("PausedReason", "") or "",
        state=DeviceState.parse(msg.get("Status")),
        in_call=msg.get("InCall") == "1",
        last_call=_num(msg.get("LastCall")),
        wrapup=int(_num(msg.get("Wrapuptime"))) or queue_wrapup,
        changed_at=now,
    )


class DeskPresence:
    """Keeps ``board`` in step with the desk queue's members in Asterisk."""

    def __init__(self, ami: AmiClient, board: Board, *, wrapup: int = 0,
                 clock: Callable[[], float] = time.time,
                 on_change: Callable[[Seat], None] | None = None) -> None:
        self.ami = ami
        self.board = board
        self.wrapup = wrapup
        self.clock = clock
        self.on_change = on_change
        self._held: list[Message] | None = None
        for name in MEMBER_EVENTS:
            ami.on_event(name, self.on_member_event)
        ami.on_event("FullyBooted", self.on_fully_booted)
        ami.on_connected(self.resync)

    def on_member_event(self, msg: Message) -> None:
        if msg.get("Queue") != self.board.queue:
            return
        if self._held is not None:
            self._held.append(msg)
            return
        self._apply(msg)

    def _apply(self, msg: Message) -> None:
        now = self.clock()
        if msg.get("Event") == "QueueMemberRemoved":
            agent_id = agent_id_of(msg.get("Interface", ""))
            self.board.leave(agent_id, now)
            seat = self.board.get(agent_id)
        else:
            seat = self.board.update(seat_from_event(msg, now, self.wrapup))
        if seat is not None and self.on_change is not None:
            self.on_change(seat)

    def on_fully_booted(self, _msg: Message) -> None:
        # Asterisk (re)started under a live connection or we just logged in;
        # the login hook already resyncs on connect, so only log here.
        log.info("AMI: Asterisk fully booted")

    async def resync(self, ami: AmiClient) -> None:
        """Rebuild the board from QueueStatus (run after every AMI login)."""
        self.board.synced = False
        for attempt in range(1, 4):
            self._held = []
            try:
                rows = await ami.rows({"Action": "QueueStatus", "Queue": self.board.queue},
                                      timeout=10)
            finally:
                held, self._held = self._held, None
            now = self.clock()
            seats = [seat_from_event(r, now, self.wrapup) for r in rows
                     if r.get("Event") == "QueueMember"]
            self.board.replace_all(seats, now)
            for msg in held:
                self._apply(msg)
            log.info("board resynced from QueueStatus: %d seat(s) in queue %s, %d ready "
                     "(pass %d, %d event(s) during the read)", len(seats), self.board.queue,
                     len(self.board.ready_seats(now)), attempt, len(held))
            if not held:
                return
