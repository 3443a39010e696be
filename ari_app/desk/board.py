"""The board: every desk seat's presence as Asterisk last reported it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from enum import IntEnum


class DeviceState(IntEnum):
    """Asterisk's device states, as the queue reports them (``Status``)."""
    UNKNOWN = 0
    NOT_INUSE = 1
    INUSE = 2
    BUSY = 3
    INVALID = 4
    UNAVAILABLE = 5
    RINGING = 6
    RINGINUSE = 7
    ONHOLD = 8

    @classmethod
    def parse(cls, value: object) -> "DeviceState":
        try:
            return cls(int(str(value)))
        except ValueError:
            return cls.UNKNOWN


# States in which Asterisk would ring a member (app_queue treats UNKNOWN as
# possibly free, like NOT_INUSE).
_FREE = {DeviceState.NOT_INUSE, DeviceState.UNKNOWN}


@dataclass(frozen=True)
class Seat:
    """One seat of the desk. ``agent_id`` is the specialist's agent ID.

    Times are Unix seconds. ``last_call`` is when the seat's last queue call
    ended (0: none); ``wrapup`` the queue's wrap-up seconds. ``registered``
    is None until the phone's registration is known. ``state`` is the
    device state of the seat's phone.
    """
    agent_id: str
    interface: str
    registered: bool | None = None
    in_queue: bool = False
    paused: bool = False
    paused_reason: str = ""
    state: DeviceState = DeviceState.UNKNOWN
    in_call: bool = False
    last_call: float = 0.0
    wrapup: int = 0
    changed_at: float = field(default_factory=time.time)

    def in_wrapup(self, now: float) -> bool:
        return bool(self.last_call) and not self.in_call and now - self.last_call < self.wrapup

    def ready(self, now: float) -> bool:
        """Would the desk queue ring this seat right now?

        Mirrors app_queue (and ``QUEUE_MEMBER(desk,ready)``): logged in, not
        paused, device free, not in a call and not in wrap-up. A phone known
        to be unregistered is not ready even before its device state says so
        (Asterisk reports the contact's removal first).
        """
        return (self.in_queue and not self.paused and not self.in_call
                and self.registered is not False
                and self.state in _FREE and not self.in_wrapup(now))

    def activity(self, now: float) -> str:
        """One word for the wallboard: what the seat is doing now."""
        if self.registered is False or self.state in (DeviceState.UNAVAILABLE,
                                                      DeviceState.INVALID):
            return "unregistered"
        if self.state in (DeviceState.RINGING, DeviceState.RINGINUSE):
            return "ringing"
        if self.state is DeviceState.ONHOLD:
            return "on-hold"
        if self.in_call or self.state in (DeviceState.INUSE, DeviceState.BUSY):
            return "in-call"
        if not self.in_queue:
            return "logged-out"
        if self.paused:
            return "paused"
        if self.in_wrapup(now):
            return "wrap-up"
        return "ready"


class Board:
    """The seats of one desk queue, keyed by agent ID."""

    def __init__(self, queue: str, agent_ids: list[str] | tuple[str, ...] = ()) -> None:
        self.queue = queue
        self._seats: dict[str, Seat] = {a: Seat(a, f"PJSIP/{a}") for a in agent_ids}
        # The configured seats' queue interfaces: only these are desk seats.
        self.interfaces = frozenset(f"PJSIP/{a}" for a in agent_ids)
        self.synced = False
        # Live callers waiting in the desk queue: channel name -> when it
        # joined (Unix seconds); callbacks' own queue legs are not counted.
        self.callers: dict[str, float] = {}

    @property
    def waiting(self) -> int:
        return len(self.callers)

    def __iter__(self):
        return iter(sorted(self._seats.values(), key=lambda s: s.agent_id))

    def get(self, agent_id: str) -> Seat | None:
        return self._seats.get(agent_id)

    def update(self, seat: Seat) -> Seat:
        """Store ``seat``; ``changed_at`` moves only if something changed."""
        old = self._seats.get(seat.agent_id)
        if old is not None and replace(old, changed_at=seat.changed_at) == seat:
            return old
        self._seats[seat.agent_id] = seat
        return seat

    def change(self, agent_id: str, now: float, **fields) -> Seat | None:
        """Set some fields of a known seat; None for a seat not on the desk."""
        old = self._seats.get(agent_id)
        if old is None:
            return None
        return self.update(replace(old, **fields, changed_at=now))

    def leave(self, agent_id: str, now: float) -> Seat | None:
        """The seat logged out of the desk queue."""
        return self.change(agent_id, now, in_queue=False, paused=False, paused_reason="",
                           in_call=False)

    def is_seat(self, interface: str) -> bool:
        """Is ``interface`` (``PJSIP/8601``) one of the configured seats?"""
        return interface in self.interfaces

    def replace_members(self, members: list[Seat], now: float) -> None:
        """A full snapshot of the queue: seats not in it are logged out.

        Fields that the queue does not report (``registered``) are kept.
        Members that are not configured seats are left out (``update_member``).
        """
        present = {s.agent_id for s in members}
        for agent_id in list(self._seats):
            if agent_id not in present:
                self.leave(agent_id, now)
        for seat in members:
            self.update_member(seat)

    def update_member(self, seat: Seat) -> Seat | None:
        """Store a seat as the queue reports it, keeping its registration.

        None, and nothing stored, for a queue member that is not a configured
        seat (say ``PJSIP/carrier`` logged in by a transferred call): the
        controller never counts or rings it.
        """
        if not self.is_seat(seat.interface):
            return None
        old = self._seats.get(seat.agent_id)
        if old is not None:
            seat = replace(seat, registered=old.registered)
        return self.update(seat)

    def ready_seats(self, now: float) -> list[Seat]:
        return [s for s in self if s.ready(now)]
