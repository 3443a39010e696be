"""The desk's surroundings, simulated: Asterisk.

For the simulated day (``day.py``): the real ``Dialer`` runs against these
on a virtual-clock loop (``clock.py``), with the in-memory store
(``store/memory.py``). Nothing here touches a network.

``SimDesk`` plays Asterisk: the desk queue (leastrecent, wrap-up), the
seats' phones (updating the real ``Board``), live callers' queue calls, and
callback attempts (seat first, then the customer). ``desk.ami`` and
``desk.ari`` (``asterisk.py``) are what the dialer sees of AMI and ARI.
"""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from panoramisk.message import Message

from ..desk.board import Board, DeviceState
from .asterisk import SimAmi, SimAri

# Assumed call mechanics (not in the seed): the seat phone rings this long
# before the specialist answers; the seat hears the customer's number before
# the dial; an unanswered dial leaves the seat this long after the result.
SEAT_ANSWER = 2.0
NUMBER_ANNOUNCE = 6.0
SEAT_HANGUP = 3.0
# Customers called back: answer / busy / no answer (rings out CB_RING).
P_ANSWER, P_BUSY = 0.75, 0.10
ANSWER_AFTER = (4.0, 20.0)     # seconds of ringing before an answer, uniform
BUSY_AFTER = 3.0


@dataclass
class _Waiter:
    """A call waiting in the desk queue: a live caller or a callback's agent leg."""
    channel: str
    live: bool
    answered: asyncio.Future
    timer: asyncio.TimerHandle | None = None
    prio: int = 0      # QUEUE_PRIO: a higher one is queued ahead of lower ones


class SimDesk:
    """The desk queue and its seats' phones, as Asterisk would run them.

    ``clock`` is wall-clock Unix seconds (the board's time); delays are
    scheduled on the running (virtual-clock) loop. ``rng`` draws the
    customers' answers and the talk times of callbacks.
    """

    def __init__(self, board: Board, clock: Callable[[], float], rng: random.Random, *,
                 wrapup: int, talk_mean: float) -> None:
        self.board, self.clock, self.rng = board, clock, rng
        self.wrapup, self.talk_mean = wrapup, talk_mean
        self.loop = asyncio.get_running_loop()
        self.queue: deque[_Waiter] = deque()
        self.up: set[str] = set()                 # attempt channels up
        self.receipts: dict[str, str] = {}        # AstDB desk-cb/<callback id>
        self.busy: list[tuple[float, float]] = []  # (from, to) seat-busy spans, wall clock
        self._since: dict[str, float] = {}
        self._tasks: set[asyncio.Future] = set()
        self.on_change: Callable[[], None] = lambda: None
        self.ami = SimAmi(self.originate, self.receipts, keep=self.keep)
        self.ari = SimAri(self.up)

    def keep(self, task: asyncio.Future) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # -- seats ----------------------------------------------------------------
    def _seat(self, agent_id: str, **fields: Any) -> None:
        self.board.change(agent_id, self.clock(), **fields)
        self.on_change()   # presence would wake the dialer on a seat change

    def release(self, agent_id: str) -> None:
        """The seat's call ended: wrap-up, then the queue may ring it again."""
        now = self.clock()
        self._seat(agent_id, state=DeviceState.NOT_INUSE, in_call=False, last_call=now)
        self.busy.append((self._since.pop(agent_id), now + self.wrapup))
        self.loop.call_later(self.wrapup + 1e-3, self._dispatch)

    # -- the queue ------------------------------------------------------------
    def join(self, channel: str, *, live: bool, wait: float, prio: int = 0) -> asyncio.Future:
        """Queue a call; the future gives the agent ID that answered, or None
        when ``wait`` seconds ran out. As app_queue with ``QUEUE_PRIO``: a
        call goes behind every call of its priority or higher."""
        waiter = _Waiter(channel, live, self.loop.create_future(), prio=prio)
        if live:
            self.board.callers[channel] = self.clock()
        waiter.timer = self.loop.call_later(wait, self._give_up, waiter)
        at = next((i for i, w in enumerate(self.queue) if w.prio < prio), len(self.queue))
        self.queue.insert(at, waiter)
        self._dispatch()
        return waiter.answered

    def _give_up(self, waiter: _Waiter) -> None:
        self.queue.remove(waiter)
        self.board.callers.pop(waiter.channel, None)
        waiter.answered.set_result(None)

    def _dispatch(self) -> None:
        """Ring ready seats for waiting calls, first come first served;
        the seat that least recently finished a call first (leastrecent)."""
        now = self.clock()
        while self.queue:
            ready = self.board.ready_seats(now)
            if not ready:
                return
            seat = min(ready, key=lambda s: (s.last_call, s.agent_id))
            waiter = self.queue.popleft()
            waiter.timer.cancel()
            self._since[seat.agent_id] = now
            self._seat(seat.agent_id, state=DeviceState.RINGING)
            self.loop.call_later(SEAT_ANSWER, self._answer, seat.agent_id, waiter)

    def _answer(self, agent_id: str, waiter: _Waiter) -> None:
        self._seat(agent_id, state=DeviceState.INUSE, in_call=True)
        self.board.callers.pop(waiter.channel, None)
        waiter.answered.set_result(agent_id)

    def connect_live(self, channel: str, number: str, agent_id: str) -> None:
        """A live caller reached a seat: Asterisk's AgentConnect."""
        self.ami.emit({"Event": "AgentConnect", "Queue": self.board.queue, "Channel": channel,
                       "CallerIDNum": number, "MemberName": agent_id})

    # -- callback attempts ----------------------------------------------------
    async def originate(self, action: dict[str, Any]) -> list[Message]:
        """``Originate`` of the agent leg (Async): it waits in the desk queue up
        to ``Timeout``; the reply ends with OriginateResponse Success once a
        seat answered, Failure when none did."""
        attempt = action["ChannelId"]
        var = dict(v.split("=", 1) for v in action["Variable"])
        queued = Message({"Response": "Success", "Message": "Originate successfully queued"})
        self.up.add(attempt)
        agent_id = await self.join(f"Local/s@desk-callback-seat-{attempt};1", live=False,
                                   wait=int(action["Timeout"]) / 1000,
                                   prio=int(var.get("QUEUE_PRIO", 0)))
        if agent_id is None:
            self.up.discard(attempt)
            return [queued, Message({"Event": "OriginateResponse", "Response": "Failure",
                                     "Uniqueid": attempt, "Reason": "0"})]
        self.keep(self.loop.create_task(self._dial_customer(
            attempt, var["CB_ID"], var["CB_FENCE"], int(var["CB_RING"]), agent_id)))
        return [queued, Message({"Event": "OriginateResponse", "Response": "Success",
                                 "Uniqueid": attempt, "Reason": "4"})]

    async def _dial_customer(self, attempt: str, cb_id: str, fence: str, ring: int,
                             agent_id: str) -> None:
        """``desk-callback-customer``: announce, dial, receipts, DialEnd, Hangup."""
        self.receipts[cb_id] = f"{fence},DIALLING,{int(self.clock())}"
        await asyncio.sleep(NUMBER_ANNOUNCE)
        draw = self.rng.random()
        if draw < P_ANSWER:
            status, after = "ANSWER", min(self.rng.uniform(*ANSWER_AFTER), ring)
        elif draw < P_ANSWER + P_BUSY:
            status, after = "BUSY", BUSY_AFTER
        else:
            status, after = "NOANSWER", float(ring)
        await asyncio.sleep(after)
        if status == "ANSWER":
            self.receipts[cb_id] = f"{fence},ANSWER,{int(self.clock())}"
        self.ami.emit({"Event": "DialEnd", "Uniqueid": attempt, "DialStatus": status})
        await asyncio.sleep(self.rng.expovariate(1 / self.talk_mean) if status == "ANSWER"
                            else SEAT_HANGUP)
        if status != "ANSWER":
            self.receipts[cb_id] = f"{fence},{status},{int(self.clock())}"
        self.up.discard(attempt)
        self.ami.emit({"Event": "Hangup", "Uniqueid": attempt, "Cause": "16"})
        self.release(agent_id)
