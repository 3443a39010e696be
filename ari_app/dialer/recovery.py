"""What became of an attempt whose lease ran out (its dialer died or lost
track): a pure decision from what Asterisk says, the channel (still up?)
and the dialplan's receipt.

Whatever is decided counts against the callback's limits like any attempt
(the recorder applies the retry rule): an attempt that dialled the customer
is an attempt, one that never reached a seat is a time no seat took it. So
no run of lapsed leases or restarts can call a customer without bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..desk.callback import Outcome, Status
from .attempt import Ending, Receipt, ending


class Action(str, Enum):
    LEAVE = "leave"        # not being dialled any more: nothing to recover
    FOLLOW = "follow"      # the attempt is still up in Asterisk: follow it to its end
    RECORD = "record"      # it ended while unattended (or its end was lost): record it
    REQUEUE = "requeue"    # it never reached a seat: a seat try, as the retry rule says


@dataclass(frozen=True)
class Recovery:
    action: Action
    ending: Ending | None = None


def recover(status: str | None, fence: str, *, live: bool, receipt: Receipt | None
            ) -> Recovery:
    """Decide for a callback of stored ``status`` whose claim ``fence`` lost
    its lease. ``live``: the attempt's channel is up in Asterisk. A receipt
    of this attempt that says the dial never ended (Asterisk stopped
    mid-dial) is an attempt all the same: the customer's leg was started,
    so it is recorded as ``failed`` at the receipt's time."""
    if status != Status.DIALLING.value:
        return Recovery(Action.LEAVE)
    if live:
        return Recovery(Action.FOLLOW)
    if receipt is not None and receipt.of(fence):
        if receipt.ended:
            return Recovery(Action.RECORD, ending(None, receipt, fence, 0.0))
        return Recovery(Action.RECORD, Ending(Outcome.FAILED, receipt.at))
    return Recovery(Action.REQUEUE)
