"""The desk's promises to callers, from what it knows now: the estimate told
at capture and the slots with room, made by the pure rules of
``desk.promise`` from the callback store (callbacks ahead, callbacks booked
in a slot), the board (seats ready and working) and the measured figures
(handle time, live calls per hour of the last weeks).

``CallbacksService`` asks here (through ``promise_for``) what to tell and
to store; the capture asks for the slots to offer; the API for the window
booked from a ``not_before``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import islice, takewhile
from typing import Protocol

from .desk.board import Board
from .desk.calendar import ServiceCalendar
from .desk.promise import (Booking, Measured, Promise, Room, Slot, Workload, booked,
                           capacity, estimate, offer, slot_at, with_room)
from .desk.promise import slots as grid
from .desk.sizing import TALK_MEAN

log = logging.getLogger(__name__)
# Slots one offer looks at, at most (their bookings are read in one round trip).
LOOKED_AT = 40


class PromiseIndex(Protocol):
    """What the promises read of the callback store (both stores have it)."""

    async def count_ahead(self, deadline: float) -> int: ...

    async def count_booked(self, spans: Sequence[tuple[float, float]]) -> list[int]: ...


@dataclass(frozen=True)
class PromiseRules:
    """How the desk promises; from ``[callbacks]`` (``settings.build_promise_rules``)."""
    slot: timedelta = timedelta(minutes=60)   # slot_minutes
    offered: int = 3         # slots_offered at capture (0: none)
    book_days: int = 7       # book_days: how far ahead a slot may be
    overnight: bool = True   # overnight_slots: a request while closed gets a morning slot
    seats: int = 6           # the seats planned: the desk's configured seats
    step: int = 5            # minutes an estimate is rounded up to, and at least


def unmeasured(wrapup: float) -> Measured:
    """The figures before anything is measured: no live calls, the
    specification's talk time plus the queue's wrap-up."""
    return Measured((0.0,) * 24, TALK_MEAN + wrapup)


class Promises:
    def __init__(self, index: PromiseIndex, calendar: ServiceCalendar, board: Board,
                 rules: PromiseRules, measured: Callable[[], Measured]) -> None:
        """``measured``: the current figures (read each time, never awaited)."""
        self.index, self.calendar, self.board = index, calendar, board
        self.rules, self.measured = rules, measured

    def _workload(self, now: datetime, ahead: int) -> Workload:
        handle = self.measured().handle
        if not self.calendar.is_open(now):
            return Workload(ahead, 0, self.rules.seats, handle)
        ts = now.timestamp()
        working = sum(1 for s in self.board if s.in_queue and not s.paused
                      and s.registered is not False)
        return Workload(ahead, len(self.board.ready_seats(ts)), working, handle)

    async def estimate(self, now: datetime, deadline: datetime) -> Promise:
        """The time told for an unbooked callback made at ``now``."""
        ahead = await self.index.count_ahead(deadline.timestamp())
        return estimate(now, self.calendar, deadline, self._workload(now, ahead),
                        self.rules.slot, step=self.rules.step)

    def capacity(self, slot: Slot) -> int:
        return capacity(slot, self.rules.seats, self.measured(), self.calendar.zone)

    def room_check(self, start: datetime) -> Room:
        """What a booking from ``start`` must find when stored: room in the
        grid slot it starts in (the store counts what waits there)."""
        grid_slot = slot_at(self.calendar, start, self.rules.slot)
        return Room(grid_slot.start.timestamp(), grid_slot.end.timestamp(),
                    self.capacity(grid_slot))

    async def room_at(self, start: datetime) -> Slot:
        """The grid slot ``start`` is in, with its room."""
        return await self.room(slot_at(self.calendar, start, self.rules.slot))

    async def room(self, slot: Slot) -> Slot:
        """``slot`` with its room (capacity less the callbacks booked in it)."""
        (taken,) = await self.index.count_booked([(slot.start.timestamp(),
                                                   slot.end.timestamp())])
        return with_room(slot, self.capacity(slot), taken)

    async def slots(self, now: datetime, after: datetime, count: int) -> list[Slot]:
        """The first ``count`` slots with room that start at or after
        ``after``, within ``book_days`` of ``now`` (at most ``LOOKED_AT``
        slots are looked at: a week of full slots is not read whole)."""
        horizon = now + timedelta(days=self.rules.book_days)
        looked = islice(grid(self.calendar, after, self.rules.slot, self.rules.book_days),
                        LOOKED_AT)
        candidates = [s for s in takewhile(lambda s: s.start <= horizon, looked)
                      if s.start >= after]
        if count <= 0 or not candidates:
            return []
        taken = await self.index.count_booked([(s.start.timestamp(), s.end.timestamp())
                                               for s in candidates])
        found: list[Slot] = []
        for slot, booked_ in zip(candidates, taken):
            found += offer([with_room(slot, self.capacity(slot), booked_)], after, 1)
            if len(found) >= count:
                break
        return found

    def window(self, start: datetime) -> Slot:
        """The slot booked from ``start`` (the API's ``not_before``): one slot
        length, cut at the closing of its opening span."""
        for begin, end in self.calendar.spans_from(start):
            if begin <= start < end:
                return Slot(start, min(start + self.rules.slot, end))
            break
        raise ValueError("not_before is outside the desk's opening hours")

    async def overnight(self, now: datetime) -> Promise | None:
        """For a request made while closed: the first slot with room from the
        next opening, assigned (None when the desk is open, the rule is off
        or no slot within ``book_days`` has room)."""
        if not self.rules.overnight or self.calendar.is_open(now):
            return None
        first = await self.slots(now, self.calendar.next_opening(now), 1)
        return booked(first[0], Booking.ASSIGNED) if first else None
