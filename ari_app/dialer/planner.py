"""Which callbacks to claim now: a pure rule over the board and the attempts
in flight.

Callbacks are placed only while the desk is open, the board is in sync with
Asterisk, AMI is logged in and no live caller waits in the desk queue (live
callers first: a callback never jumps the queue). Then one callback is
claimed per ready seat not already spoken for: an attempt still looking for
a seat will take one of the ready ones; an attempt whose seat answered has
that seat off the ready list already.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Hold(str, Enum):
    """Why nothing is claimed this step."""
    CLOSED = "the desk is closed"
    UNSYNCED = "the board is not in sync with Asterisk"
    AMI_DOWN = "AMI is not logged in"
    CALLERS_WAITING = "live callers wait in the desk queue"
    NO_FREE_SEAT = "no ready seat is free of an attempt"


@dataclass(frozen=True)
class DeskView:
    """What the planner looks at, read from the board at one instant."""
    open: bool
    synced: bool
    ami_ready: bool
    callers_waiting: int
    ready_seats: int


@dataclass(frozen=True)
class Plan:
    claims: int
    hold: Hold | None = None


def plan(desk: DeskView, *, in_flight: int, seated: int) -> Plan:
    """How many callbacks to claim now.

    ``in_flight``: attempts under way; ``seated``: those of them a seat has
    answered (never more than ``in_flight``).
    """
    if not desk.open:
        return Plan(0, Hold.CLOSED)
    if not desk.synced:
        return Plan(0, Hold.UNSYNCED)
    if not desk.ami_ready:
        return Plan(0, Hold.AMI_DOWN)
    if desk.callers_waiting:
        return Plan(0, Hold.CALLERS_WAITING)
    seeking = max(in_flight - seated, 0)
    free = desk.ready_seats - seeking
    if free <= 0:
        return Plan(0, Hold.NO_FREE_SEAT)
    return Plan(free)
