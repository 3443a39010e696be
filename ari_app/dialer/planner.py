"""Which callbacks to claim now: a pure rule over the board and the attempts
in flight.

Callbacks are placed only while the desk is open, the board is in sync with
Asterisk and AMI is logged in. Normally live callers come first: nothing is
claimed while one waits in the desk queue; otherwise one callback is
claimed per ready seat not already spoken for (an attempt still looking for
a seat will take one of the ready ones; an attempt whose seat answered has
that seat off the ready list already).

Escalation: when the earliest due callback is at risk (never dialled, its
deadline near: ``desk.callback.at_risk``) it is claimed even while live
callers wait or no seat is ready; its attempt waits in the desk queue ahead
of the live callers (a higher queue priority) and takes the next free seat.
One such attempt seeks a seat at a time, so an escalated attempt rarely
runs out its seat wait and the live callers lose at most one seat per free
seat in turn.

Seat reserve (``reserve``, 0 = none): while the earliest due callback is not
at risk, that many ready seats are left for live transfers rather than
claimed for callbacks; once it is at risk the reserve no longer holds.
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
    RESERVE = "the ready seats are kept for live callers (no callback at risk)"


@dataclass(frozen=True)
class DeskView:
    """What the planner looks at, read from the board at one instant."""
    open: bool
    synced: bool
    ami_ready: bool
    callers_waiting: int
    ready_seats: int
    # The earliest due callback is at risk (``desk.callback.at_risk``).
    at_risk: bool = False


@dataclass(frozen=True)
class Plan:
    claims: int
    hold: Hold | None = None
    escalated: bool = False     # one claim ahead of live callers (an at-risk callback)


def plan(desk: DeskView, *, in_flight: int, seated: int, escalating: int = 0,
         escalate: bool = False, reserve: int = 0) -> Plan:
    """How many callbacks to claim now.

    ``in_flight``: attempts under way; ``seated``: those of them a seat has
    answered (never more than ``in_flight``); ``escalating``: escalated
    attempts still seeking a seat; ``escalate``: an at-risk callback goes
    ahead of live callers; ``reserve``: ready seats kept for live callers
    while no callback is at risk.
    """
    if not desk.open:
        return Plan(0, Hold.CLOSED)
    if not desk.synced:
        return Plan(0, Hold.UNSYNCED)
    if not desk.ami_ready:
        return Plan(0, Hold.AMI_DOWN)
    seeking = max(in_flight - seated, 0)
    free = desk.ready_seats - seeking
    kept = 0 if desk.at_risk else min(max(reserve, 0), max(free, 0))
    if desk.callers_waiting or free - kept <= 0:
        if desk.at_risk and escalate and escalating == 0:
            return Plan(1, escalated=True)
        hold = Hold.CALLERS_WAITING if desk.callers_waiting else \
            Hold.RESERVE if free > 0 else Hold.NO_FREE_SEAT
        return Plan(0, hold)
    return Plan(free - kept)
