"""Live calls answered at a named seat (``desk-seat``), for the day's figures.

A caller routed to one named specialist is dialled straight to the seat's
phone, not through the desk queue, so Asterisk sends no ``AgentComplete``
for it. ``DialEnd`` (``DialStatus: ANSWER`` from context ``desk-seat`` to a
configured seat) says it was answered; the caller's ``Hangup`` ends the
talk time. Only the leader counts (one count, however many controllers):
``leading`` is its leader-only part.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from panoramisk.message import Message

from ..tasks import TaskSet


class NamedSeatCalls:
    def __init__(self, ami, is_seat: Callable[[str], bool],
                 count: Callable[[int], Awaitable[None]],
                 clock: Callable[[], float] = time.time) -> None:
        self.is_seat, self.count, self.clock = is_seat, count, clock
        self.counting = False                 # while this replica leads
        self.answered: dict[str, float] = {}  # caller channel -> answered at
        self.tasks = TaskSet("named-seat figures")
        ami.on_event("DialEnd", self.on_dial_end)
        ami.on_event("Hangup", self.on_hangup)

    def on_dial_end(self, msg: Message) -> None:
        if msg.get("Context") != "desk-seat" or msg.get("DialStatus") != "ANSWER":
            return
        dest = msg.get("DestChannel", "")
        if self.is_seat(dest.rsplit("-", 1)[0]):
            self.answered[msg.get("Channel", "")] = self.clock()

    def on_hangup(self, msg: Message) -> None:
        started = self.answered.pop(msg.get("Channel", ""), None)
        if started is not None and self.counting:
            self.tasks.spawn(self.count(max(0, round(self.clock() - started))))

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
