"""Seat presence from AMI: queue members, phone registrations, device states.

Asterisk keeps no events for a client that was away, so after every login
(and when Asterisk says ``FullyBooted``) the board is rebuilt from
``QueueStatus`` and the phones' registrations (``registrations``, which
the controller answers from ARI's endpoint list: the AMI actions that list
contacts or device states need write privileges the controller's AMI user
does not have). Events that
arrive while those are being read are held and applied after them, in
arrival order; if any arrived, the snapshot is read again (three passes at
most) so that the board ends equal to Asterisk's own view.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

from panoramisk.message import Message

from ..desk.board import Board, DeviceState, Seat
from ..ports import desk_caller
from ..tasks import TaskSet
from .ami import AmiClient

log = logging.getLogger(__name__)

MEMBER_EVENTS = ("QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause",
                 "QueueMemberStatus", "QueueMemberPenalty", "QueueMemberRingInUse")
CALLER_EVENTS = ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon")
# ContactStatus values after which a phone can no longer be reached.
_GONE = {"Removed", "Unreachable"}


def agent_id_of(interface: str) -> str:
    """``PJSIP/8601`` -> ``8601`` (the seat's endpoint name is its agent ID)."""
    return interface.split("/", 1)[1] if "/" in interface else interface


def device_state(name: str | None) -> DeviceState | None:
    """``NOT_INUSE`` -> DeviceState.NOT_INUSE; None for anything else."""
    return DeviceState.__members__.get(name or "")


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


def state_since(msg: Message, now: float) -> float:
    """When a QueueStatus member row entered its present state, from
    Asterisk's own stamps (Unix seconds), so that a controller restart keeps
    each seat's time in state (live events are stamped when they arrive, a
    pause with its ``LastPause`` as here): a
    paused member since ``LastPause``; a free one since the latest
    of ``LoginTime``, ``LastCall`` (its last queue call ended) and
    ``LastPause`` (a lower bound: Asterisk does not stamp the unpause). A
    member in a call, or one without stamps, since ``now``."""
    if msg.get("InCall") == "1" or DeviceState.parse(msg.get("Status")) not in (
            DeviceState.NOT_INUSE, DeviceState.UNKNOWN):
        return now
    if msg.get("Paused") == "1":
        stamps = [_num(msg.get("LastPause"))]
    else:
        stamps = [_num(msg.get(k)) for k in ("LoginTime", "LastCall", "LastPause")]
    best = max(stamps)
    return best if 0 < best <= now else now


class DeskPresence:
    """Keeps ``board`` in step with Asterisk."""

    def __init__(self, ami: AmiClient, board: Board, *, wrapup: int,
                 registrations: Callable[[], Awaitable[dict[str, bool]]] | None = None,
                 clock: Callable[[], float] = time.time,
                 on_change: Callable[[Seat], None] | None = None) -> None:
        self.ami, self.board, self.wrapup = ami, board, wrapup
        # Who is registered (ARI), asked at every resync; None: not asked.
        self.registrations = registrations
        self.clock, self.on_change = clock, on_change
        self._held: list[Message] | None = None
        self._resync_lock = asyncio.Lock()
        self._last_resync = 0.0
        self._tasks = TaskSet("presence resync")
        # Queue members that are not configured seats, already logged.
        self._strays: set[str] = set()
        for name in MEMBER_EVENTS + CALLER_EVENTS + ("ContactStatus", "DeviceStateChange"):
            ami.on_event(name, self.on_event)
        ami.on_event("FullyBooted", self.on_fully_booted)
        ami.on_connected(self.resync)
        ami.on_disconnected(self.on_link_lost)

    def on_link_lost(self) -> None:
        # No events reach us now: the board is no longer Asterisk's truth.
        self.board.synced = False
        if self.ami.stopping:  # a clean shutdown, not a fault
            log.info("board stale: the controller is stopping")
        else:
            log.warning("board marked stale: AMI link lost")

    # -- live events --------------------------------------------------------
    def on_event(self, msg: Message) -> None:
        if self._held is not None:
            self._held.append(msg)
        else:
            self._apply(msg)

    def _apply(self, msg: Message) -> None:
        now = self.clock()
        event = msg.get("Event")
        seat: Seat | None
        if event in CALLER_EVENTS:
            if not desk_caller(msg, self.board.queue):
                return
            channel = msg.get("Channel", "")
            if event == "QueueCallerJoin":
                self.board.callers[channel] = now
            else:
                self.board.callers.pop(channel, None)
            return
        if event in MEMBER_EVENTS:
            if msg.get("Queue") != self.board.queue:
                return
            if event == "QueueMemberRemoved":
                self._strays.discard(msg.get("Interface", ""))
                seat = self.board.leave(agent_id_of(msg.get("Interface", "")), now)
            else:
                seat = seat_from_event(msg, now, self.wrapup)
                if event == "QueueMemberPause" and seat.paused:
                    # Paused since Asterisk's own stamp, the instant a resync
                    # reads too: a restart does not move it across a second.
                    seat = replace(seat, changed_at=state_since(msg, now))
                seat = self._member(seat)
        elif event == "ContactStatus":
            seat = self.board.change(msg.get("EndpointName") or msg.get("AOR", ""), now,
                                     registered=msg.get("ContactStatus") not in _GONE)
        elif event == "DeviceStateChange":
            device = msg.get("Device", "")
            if not device.startswith("PJSIP/"):
                return
            agent_id = agent_id_of(device)
            old = self.board.get(agent_id)
            if old is None:
                return
            seat = self.board.change(agent_id, now,
                                     state=device_state(msg.get("State")) or DeviceState.UNKNOWN)
        else:
            return
        if seat is not None and self.on_change is not None:
            self.on_change(seat)

    def _member(self, seat: Seat) -> Seat | None:
        """The board's seat for a queue member row; None for a member that is
        not a configured seat, which is ignored and logged (once until it
        leaves the queue): the controller cannot remove it (its AMI user has
        no agent class), an operator must."""
        stored = self.board.update_member(seat)
        if stored is None and seat.interface not in self._strays:
            self._strays.add(seat.interface)
            log.warning("queue %s has member %s, which is not a configured seat: ignored "
                        "(not on the board, never rung by the controller); remove it on the "
                        "PBX: asterisk -rx 'queue remove member %s from %s'",
                        self.board.queue, seat.interface, seat.interface, self.board.queue)
        return stored

    def on_fully_booted(self, _msg: Message) -> None:
        # Sent right after every login too: skip it while the login resync
        # is still to run (AMI not ready yet: it would find the link not yet
        # open for actions) or has just run; resync otherwise (Asterisk
        # finished booting under us).
        if self.ami.ready.is_set() and self.clock() - self._last_resync > 2 \
                and not self._resync_lock.locked():
            self._tasks.spawn(self._resync_quietly())

    async def stop(self) -> None:
        """Cancel a resync still running."""
        await self._tasks.close()

    async def _resync_quietly(self) -> None:
        try:
            await self.resync(self.ami)
        except Exception as exc:  # the next login resyncs again
            log.warning("resync on FullyBooted failed: %s", exc)

    # -- resync -------------------------------------------------------------
    async def resync(self, ami: AmiClient) -> None:
        """Rebuild the board from Asterisk (run after every AMI login)."""
        async with self._resync_lock:
            self.board.synced = False
            for attempt in range(1, 4):
                self._held = []
                try:
                    members, registered = await asyncio.gather(
                        ami.rows({"Action": "QueueStatus", "Queue": self.board.queue}, timeout=10),
                        self._registrations())
                finally:
                    held, self._held = self._held, None
                now = self.clock()
                self._apply_snapshot(members, registered, now)
                for msg in held:
                    self._apply(msg)
                log.info("board resynced from Asterisk: %d seat(s) logged in to %s, %d "
                         "registered, %d ready (pass %d, %d event(s) during the read)",
                         sum(s.in_queue for s in self.board), self.board.queue,
                         sum(bool(s.registered) for s in self.board),
                         len(self.board.ready_seats(now)), attempt, len(held))
                if not held:
                    break
            self.board.synced = True
            self._last_resync = self.clock()
        if self.on_change is not None:
            for seat in self.board:
                self.on_change(seat)

    async def _registrations(self) -> dict[str, bool] | None:
        if self.registrations is None:
            return None
        try:
            return await self.registrations()
        except Exception as exc:  # registrations stay as last known; events update them
            log.warning("cannot read phone registrations: %s", exc)
            return None

    def _apply_snapshot(self, members: list[Message], registered: dict[str, bool] | None,
                        now: float) -> None:
        if registered is not None:
            for seat in list(self.board):
                self.board.change(seat.agent_id, now,
                                  registered=registered.get(seat.agent_id, False))
        rows = [replace(seat_from_event(r, now, self.wrapup), changed_at=state_since(r, now))
                for r in members if r.get("Event") == "QueueMember"]
        self._strays &= {s.interface for s in rows}
        for seat in rows:
            if not self.board.is_seat(seat.interface):
                self._member(seat)  # logs it
        self.board.replace_members(rows, now)
        # QueueEntry's Wait (seconds in the queue) gives each caller's join time.
        self.board.callers = {r.get("Channel", ""): now - _num(r.get("Wait"))
                              for r in members if r.get("Event") == "QueueEntry"
                              and desk_caller(r, self.board.queue)}

