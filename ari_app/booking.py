"""A request's promise: the time told, or the slot it keeps, checked.

``CallbacksService`` (``service.py``) asks here what a request is promised:
a slot the customer chose (the capture's key, the API's ``not_before``), a
morning slot for a request made while closed (``Promises.overnight``), or
the estimate. ``not_before`` is read strictly: ISO 8601 date and time in
ASCII digits, in the desk's zone (no offset, or the desk's own); in the
future, within the opening hours, at most ``[callbacks] book_days`` ahead.
Every refusal is a ``ValueError`` whose message says why; the service names
the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from .clock import utc
from .desk.callback import Callback
from .desk.promise import Booking, Promise, Room, Slot, Told, booked, booking_refusal
from .promises import Promises

_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2})?"
                  r"(?P<offset>Z|[+-][0-9]{2}:[0-9]{2})?")


class NoRoom(ValueError):
    """The slot asked for is full; ``offers`` are the next slots with room."""

    def __init__(self, message: str, offers: list[Slot]) -> None:
        super().__init__(message)
        self.offers = offers


def parse_not_before(value: object, promises: Promises, now: datetime) -> datetime:
    """The instant ``value`` names, in the desk's zone; ``ValueError`` saying
    why it cannot be booked from."""
    zone = promises.calendar.zone
    if not isinstance(value, str) or len(value) > 40 or not _ISO.fullmatch(value):
        raise ValueError("expected a date and time as YYYY-MM-DDTHH:MM[:SS] in ASCII digits, "
                         "in the desk's time zone")
    try:
        written = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"not a real date and time ({exc})") from None
    when = written.replace(tzinfo=zone) if written.tzinfo is None else written
    if written.tzinfo is not None and written.utcoffset() != when.astimezone(zone).utcoffset():
        local = when.astimezone(zone).strftime("%z")
        raise ValueError(f"is in another time zone: write the desk's time ({zone.key}, "
                         f"{local[:3]}:{local[3:]}) or no offset")
    why = booking_refusal(when, now, promises.calendar, promises.rules.book_days)
    if why is not None:
        raise ValueError(why)
    return when


async def slot_from(value: object, promises: Promises, now: datetime,
                    mine: Callback | None = None) -> Slot:
    """The slot the API's ``not_before`` books; ``NoRoom`` (with the next
    slots that have some) when its grid slot is full. ``mine``: the number's
    open callback, whose own place in that slot it may keep."""
    start = parse_not_before(value, promises, now)
    grid_slot = await promises.room_at(start)
    own = mine is not None and mine.booked and \
        grid_slot.start.timestamp() <= mine.times.due < grid_slot.end.timestamp()
    if grid_slot.room + own <= 0:
        offers = await promises.slots(now, grid_slot.end, promises.rules.offered or 3)
        local = grid_slot.start.astimezone(promises.calendar.zone)
        raise NoRoom(f"the slot from {local:%Y-%m-%d %H:%M} is full", offers)
    return promises.window(start)


@dataclass(frozen=True)
class Chosen:
    """What a request is given: the promise, and for a slot, the room check
    the store makes (it refuses the booking when its grid slot is full)."""
    promise: Promise | None
    room: Room | None = None


async def choose(promises: Promises | None, now: datetime, deadline: datetime,
                 slot: Slot | None) -> Chosen:
    """The promise of a request made at ``now`` with SLA ``deadline``: the
    chosen ``slot``, else a morning slot if made while closed, else the
    estimate (None without promises: nothing is told but the deadline)."""
    if promises is None:
        return Chosen(None)
    if slot is not None:
        return Chosen(booked(slot), promises.room_check(slot.start))
    night = await promises.overnight(now)
    if night is not None:
        return Chosen(night, promises.room_check(night.start))
    return Chosen(await promises.estimate(now, deadline))


def promise_of(cb: Callback) -> Promise | None:
    """What the customer of a stored callback was told (None: nothing told,
    a callback stored before promises were)."""
    told, start = cb.promised.told, cb.promised.start
    if told is None or start is None:
        return None
    end = cb.promised.end
    minutes = round((end - start) / 60) if told is Told.WITHIN and end is not None else 0
    late = end is not None and cb.promised.booking is Booking.NONE and end > cb.times.deadline
    return Promise(told, utc(start), None if end is None else utc(end), minutes, late,
                   cb.promised.booking)
