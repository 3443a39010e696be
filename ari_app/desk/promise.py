"""The customer's time: when the desk tells a caller it will call, and the
slots a caller may book instead. Pure: no I/O; instants are aware datetimes,
durations seconds.

* ``estimate``: the time told at capture. From the open callbacks ahead of
  this one (by deadline), the seats ready and working and the measured
  handle time: "within about N minutes" while the desk is open and that is
  within the hour, else the slot-sized window the first dial is expected in
  ("between 09:00 and 10:00"), or "after 09:00" when no seat is there to
  estimate from. Never earlier than the dialer can keep (the next opening,
  at least ``step`` minutes); a time past the SLA deadline is flagged
  ``late``, and the caller is told so.
* ``slots``/``capacity``/``offer``: the booking grid. Each opening span is
  cut into slots of ``length`` from its start; a slot's capacity is seats x
  length / handle less the live calls the same hours brought in the last
  weeks (``Measured``); its room is that less what is already booked in it.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from .calendar import ServiceCalendar


class Told(str, Enum):
    """The form of the time told."""
    WITHIN = "within"       # "within about N minutes"
    BETWEEN = "between"     # "between 09:00 and 10:00": a window, or a booked slot
    AFTER = "after"         # "after 09:00": no seat to estimate from


class Booking(str, Enum):
    """Whether the callback keeps a slot, and who chose it."""
    NONE = ""               # the desk's estimate
    CHOSEN = "chosen"       # the customer chose the slot (capture key, or the API's not_before)
    ASSIGNED = "assigned"   # made while closed: the first slot with room from the opening


@dataclass(frozen=True)
class Promise:
    """What the caller is told. ``start``: the earliest time said (now, for
    WITHIN); ``end``: the latest (None for AFTER) — the told time the
    simulation measures the first dial against."""
    told: Told
    start: datetime
    end: datetime | None
    minutes: int = 0            # WITHIN: N
    late: bool = False          # the time said runs past the SLA deadline
    booking: Booking = Booking.NONE


@dataclass(frozen=True)
class Workload:
    """What the estimate is made from, read at one instant."""
    ahead: int          # open callbacks whose deadline is at or before this one's
    ready: int          # seats ready now (0 while the desk is closed)
    working: int        # seats logged in and not paused; while closed, the seats planned
    handle: float       # seconds a callback holds a seat: measured talk + wrap-up


@dataclass(frozen=True)
class Measured:
    """The desk's measured traffic: live transfers a day in each local hour
    (00h first, averaged over the last weeks) and the handle time (s)."""
    hourly: tuple[float, ...]
    handle: float

    def calls(self, start: datetime, end: datetime, zone) -> float:
        """Transfers the measured days brought between ``start`` and ``end``."""
        total, at = 0.0, start.astimezone(zone)
        stop = end.astimezone(zone)
        while at < stop:
            hour_end = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            upto = min(hour_end, stop)
            total += self.hourly[at.hour] * (upto - at).total_seconds() / 3600
            at = upto
        return total


@dataclass(frozen=True)
class Room:
    """The check a booking passes when stored: at most ``capacity``
    callbacks waiting to fall due in [``start``, ``end``) (Unix s), the grid
    slot the booking starts in."""
    start: float
    end: float
    capacity: int


@dataclass(frozen=True)
class Slot:
    """A booking window [start, end) and the calls it can still take."""
    start: datetime
    end: datetime
    room: int = 0


def expected_first_dial(now: datetime, calendar: ServiceCalendar,
                        work: Workload) -> datetime | None:
    """When the dialer is expected to dial this callback first: from the next
    opening (now, if open), the callbacks ahead less the seats ready now,
    shared by the seats working, one handle time each, in opening time
    only. None when no seat works (nothing to estimate from)."""
    if work.working <= 0 or work.handle <= 0:
        return None
    wait = max(0, work.ahead + 1 - work.ready) * work.handle / work.working
    return calendar.after_opening_time(calendar.next_opening(now), timedelta(seconds=wait))


def estimate(now: datetime, calendar: ServiceCalendar, deadline: datetime, work: Workload,
             length: timedelta, *, step: int = 5, within: int = 60) -> Promise:
    """The time told for an unbooked callback requested at ``now`` with SLA
    ``deadline`` (see the module's docstring). ``length``: the slot grid a
    window is told in; ``step``: minutes N is rounded up to (and at least);
    ``within``: the most minutes said as "within N minutes"."""
    expected = expected_first_dial(now, calendar, work)
    opening = calendar.next_opening(now)
    if expected is None:
        if opening > now:
            return Promise(Told.AFTER, opening, None)
        expected = deadline  # no seat works now: the SLA's own time is all there is to say
    minutes = max(step, math.ceil((expected - now).total_seconds() / 60 / step) * step)
    if expected <= deadline:  # rounding up never makes a kept time sound late
        minutes = min(minutes, max(step, math.ceil((deadline - now).total_seconds() / 60)))
    told = now + timedelta(minutes=minutes)
    if opening <= now and minutes <= within and calendar.after_opening_time(now, timedelta(
            minutes=minutes)) == told:
        return Promise(Told.WITHIN, now, told, minutes=minutes, late=expected > deadline)
    window = slot_at(calendar, expected, length)
    late = expected > deadline
    # A window is coarser than the deadline: a kept time is told up to the deadline.
    end = window.end if late else min(window.end, deadline)
    return Promise(Told.BETWEEN, max(window.start, now), end, late=late)


def booked(slot: Slot, booking: Booking = Booking.CHOSEN) -> Promise:
    """The time told for a callback that keeps ``slot``: the slot itself,
    never late (its end is its deadline)."""
    return Promise(Told.BETWEEN, slot.start, slot.end, booking=booking)


def slots(calendar: ServiceCalendar, start: datetime, length: timedelta,
          days: int) -> Iterator[Slot]:
    """The grid's slots that end after ``start``, in order, up to ``days``
    days ahead: each opening span cut into ``length`` from its start, the
    last slot of a span cut at its end."""
    if length <= timedelta(0):
        raise ValueError("the slot length must be positive")
    horizon = start + timedelta(days=days)
    for begin, end in calendar.spans_from(start):
        if begin >= horizon:
            return
        at = begin
        while at < end:
            upto = min(at + length, end)
            if upto > start:
                yield Slot(at, upto)
            at = upto


def slot_at(calendar: ServiceCalendar, when: datetime, length: timedelta) -> Slot:
    """The grid's slot holding ``when`` (the first of the next opening if the
    desk is closed then)."""
    return next(slots(calendar, when, length, 400))


def capacity(slot: Slot, seats: int, measured: Measured, zone) -> int:
    """Calls ``slot`` can take in all: seats x its length / handle time, less
    the live calls the same hours brought in the measured weeks (not below 0)."""
    if measured.handle <= 0:
        return 0
    length = (slot.end - slot.start).total_seconds()
    return max(0, math.floor(seats * length / measured.handle
                             - measured.calls(slot.start, slot.end, zone)))


def with_room(slot: Slot, capacity_: int, booked_: int) -> Slot:
    """``slot`` with its room: the capacity less the callbacks booked in it."""
    return replace(slot, room=max(0, capacity_ - booked_))


def offer(candidates: list[Slot], after: datetime, count: int) -> list[Slot]:
    """The first ``count`` slots with room that start at or after ``after``."""
    return [s for s in candidates if s.room > 0 and s.start >= after][:max(count, 0)]


def booking_refusal(when: datetime, now: datetime, calendar: ServiceCalendar,
                    days: int) -> str | None:
    """Why a callback may not be booked from ``when`` (in words), or None:
    in the past, outside opening hours, or more than ``days`` days ahead."""
    if when <= now:
        return "is in the past"
    if not calendar.is_open(when):
        return "is outside the desk's opening hours"
    if when > now + timedelta(days=days):
        return f"is more than {days} day(s) ahead ([callbacks] book_days)"
    return None
