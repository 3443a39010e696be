"""The live calls' figures, counted from Asterisk's own events.

* A desk queue call answered (``AgentConnect``): answered, within the
  service level or not (its ``HoldTime``, plus the ring of a named seat that
  did not answer it first), its wait; when it ends (``AgentComplete``): its
  talk and the seat's wrap-up, the seat's own count and talk. A callback attempt's seat leg (a ``Local/`` channel in
  the same queue) counts for the seat as a callback, not as a live call.
* A call to a named seat (``desk-seat``: dialled, not queued, so Asterisk
  sends no ``AgentComplete``): ``DialBegin``/``DialEnd`` time its ring, the
  caller's ``Hangup`` ends its talk.
* A caller who hangs up before a seat answered, by where: in the queue
  (``QueueCallerAbandon`` followed by the caller's ``Hangup`` while still in
  ``desk-queue``: Asterisk sends the same event when the wait runs out and
  the caller goes on to the capture), while a named seat rang, before
  routing (``Hangup`` in ``desk-route``/``desk-fallback``), or in the
  callback capture with nothing stored (``abandoned_in_capture``, told by
  the capture). The time waited counts from the transfer's arrival at the
  desk (its ``StasisStart``), else from what Asterisk says.
* Seat pauses by reason code (``seat_changed``, from the board).

Only the leader counts (one count, however many controllers run):
``leading`` is its leader-only part. AMI values are read as bounded whole
seconds; anything else counts as 0.
"""

from __future__ import annotations

import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from panoramisk.message import Message

from ..desk.board import Board, Seat
from ..desk.figures import seat_field
from ..desk.pauses import PauseLedger, by_day
from ..ports import desk_caller
from ..store.stats import DeskStats
from ..tasks import TaskSet

_SECONDS = re.compile(r"[0-9]{1,6}")
# Calls remembered at once (entries leave on hangup; the oldest go past this).
_REMEMBERED = 5000
BEFORE_ROUTING = ("desk-route", "desk-fallback")


def seconds(value: object) -> int:
    """A duration from an AMI field: whole seconds up to 999999, else 0."""
    text = str(value or "")
    return int(text) if _SECONDS.fullmatch(text) else 0


class _Recent(OrderedDict):
    """A dict that forgets its oldest entries past ``_REMEMBERED``."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > _REMEMBERED:
            self.popitem(last=False)


class DeskCalls:
    def __init__(self, ami, ari, board: Board, stats: DeskStats, service_level: int,
                 clock: Callable[[], float] = time.time) -> None:
        self.board, self.stats, self.service_level, self.clock = board, stats, service_level, clock
        self.counting = False  # while this replica leads
        self.tasks = TaskSet("desk call figures")
        self.entered: _Recent = _Recent()      # caller uniqueid -> reached the desk
        self.abandoned: _Recent = _Recent()    # left the queue: uniqueid -> HoldTime
        self.ringing: _Recent = _Recent()      # named seat dialled: uniqueid -> started
        self.rang: _Recent = _Recent()         # a named seat did not answer: seconds
        self.talking: _Recent = _Recent()      # named seat answered: uid -> (seat, at)
        self.pauses = PauseLedger(frozenset())
        for name, handler in (("AgentConnect", self.on_agent_connect),
                              ("AgentComplete", self.on_agent_complete),
                              ("QueueCallerAbandon", self.on_queue_abandon),
                              ("DialBegin", self.on_dial_begin), ("DialEnd", self.on_dial_end),
                              ("Hangup", self.on_hangup)):
            ami.on_event(name, handler)
        ari.on_event("StasisStart", self.on_stasis_start)

    # -- counting -------------------------------------------------------------
    def _count(self, amounts: dict[str, int], *, hourly: bool = True,
               when: datetime | None = None) -> None:
        if self.counting and amounts:
            self.tasks.spawn(self.stats.count(amounts, when, hourly=hourly))

    def _answered(self, wait: int) -> None:
        """A seat answered a live caller who had waited ``wait`` seconds: the
        service level counts now, while the call goes on."""
        self._count({"answered": 1, "answered_in_sl": int(wait <= self.service_level),
                     "wait_seconds": wait})

    def _completed(self, agent_id: str, talk: int, wrapup: int) -> None:
        """An answered live call ended: its talk and the seat's wrap-up."""
        self._count({"completed": 1, "talk_seconds": talk, "wrapup_seconds": wrapup})
        if agent_id:
            self._count({seat_field(agent_id, "live"): 1,
                         seat_field(agent_id, "talk_seconds"): talk}, hourly=False)

    def _abandoned(self, where: str, waited: float) -> None:
        self._count({f"abandoned_{where}": 1,
                     f"abandoned_{where}_seconds": max(0, round(waited))})

    def _waited(self, uid: str, fallback: float) -> float:
        entered = self.entered.get(uid)
        return self.clock() - entered if entered is not None else fallback

    # -- events ---------------------------------------------------------------
    def on_stasis_start(self, event: dict[str, Any]) -> None:
        args = event.get("args") or []
        if args and args[0] == "route":
            self.entered[event.get("channel", {}).get("id", "")] = self.clock()

    def on_agent_connect(self, msg: Message) -> None:
        if desk_caller(msg, self.board.queue):
            uid = msg.get("Uniqueid", "")
            self._answered(seconds(msg.get("HoldTime")) + round(self.rang.pop(uid, 0)))

    def on_agent_complete(self, msg: Message) -> None:
        if msg.get("Queue") != self.board.queue:
            return
        interface = msg.get("Interface", "")
        agent_id = interface.split("/", 1)[-1] if self.board.is_seat(interface) else ""
        talk = seconds(msg.get("TalkTime"))
        if not desk_caller(msg, self.board.queue):  # a callback attempt's seat leg
            if agent_id:
                self._count({seat_field(agent_id, "callbacks"): 1,
                             seat_field(agent_id, "talk_seconds"): talk}, hourly=False)
            return
        seat = self.board.get(agent_id) if agent_id else None
        self._completed(agent_id, talk, seat.wrapup if seat else 0)

    def on_queue_abandon(self, msg: Message) -> None:
        if desk_caller(msg, self.board.queue):
            self.abandoned[msg.get("Uniqueid", "")] = seconds(msg.get("HoldTime"))

    def on_dial_begin(self, msg: Message) -> None:
        if msg.get("Context") == "desk-seat":
            self.ringing[msg.get("Uniqueid", "")] = self.clock()

    def on_dial_end(self, msg: Message) -> None:
        uid = msg.get("Uniqueid", "")
        started = self.ringing.pop(uid, None)
        if msg.get("Context") != "desk-seat" or started is None:
            return
        dest = msg.get("DestChannel", "").rsplit("-", 1)[0]
        if msg.get("DialStatus") == "ANSWER" and self.board.is_seat(dest):
            self._answered(round(self._waited(uid, self.clock() - started)))
            self.talking[uid] = (dest.split("/", 1)[-1], self.clock())
        elif msg.get("DialStatus") != "CANCEL":  # not answered: the queue takes over
            self.rang[uid] = self.clock() - started
        else:
            self.ringing[uid] = started  # the caller hung up: its Hangup says so

    def on_hangup(self, msg: Message) -> None:
        uid, context, now = msg.get("Uniqueid", ""), msg.get("Context", ""), self.clock()
        held, rang_at = self.abandoned.pop(uid, None), self.ringing.pop(uid, None)
        talking = self.talking.pop(uid, None)
        self.rang.pop(uid, None)
        entered = self.entered.get(uid)  # kept: a capture may still tell its end
        if talking is not None:
            agent_id, answered_at = talking
            self._completed(agent_id, max(0, round(now - answered_at)), 0)
        elif context == "desk-queue" and held is not None:
            self._abandoned("queue", now - entered if entered is not None else held)
        elif context == "desk-seat" and rang_at is not None:
            self._abandoned("queue", now - (entered if entered is not None else rang_at))
        elif context in BEFORE_ROUTING and entered is not None:
            self._abandoned("routing", now - entered)

    def abandoned_in_capture(self, channel_id: str, started: float) -> None:
        """The capture's caller hung up before a callback was stored
        (``started``: when the capture began, if the transfer's arrival is unknown)."""
        self._abandoned("capture", self._waited(channel_id, self.clock() - started))

    def seat_changed(self, seat: Seat) -> None:
        """A seat as the board now shows it: a pause it ended is counted,
        cut at the desk's midnights, as seconds paused with its reason code."""
        for pause in self.pauses.seen(seat.agent_id, seat.in_queue and seat.paused,
                                      seat.paused_reason, seat.changed_at, self.clock()):
            for day, spent in by_day(pause.start, pause.end, self.stats.zone):
                noon = datetime(day.year, day.month, day.day, 12, tzinfo=self.stats.zone)
                self._count({seat_field(pause.agent_id, f"pause:{pause.code}"): spent},
                            hourly=False, when=noon)

    @asynccontextmanager
    async def leading(self) -> AsyncIterator[None]:
        """Count while the block runs (calls answered before it are counted
        when they end: the talk time is the call's)."""
        self.counting = True
        try:
            yield
        finally:
            self.counting = False

    async def stop(self) -> None:
        await self.tasks.close()
