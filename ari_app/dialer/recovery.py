"""What became of an attempt whose lease ran out (its dialer died or lost
track): a pure decision from what Asterisk says, the channel (still up?)
and the dialplan's receipt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ..desk.callback import Status
from .attempt import Ending, Receipt, ending


class Action(str, Enum):
    LEAVE = "leave"        # not being dialled any more: nothing to recover
    FOLLOW = "follow"      # the attempt is still up in Asterisk: follow it to its end
    RECORD = "record"      # it ended while unattended: record its outcome
    REQUEUE = "requeue"    # it never reached a seat: back in the queue, due now


@dataclass(frozen=True)
class Recovery:
    action: Action
    ending: Ending | None = None


def recover(status: str | None, fence: str, *, live: bool, receipt: Receipt | None
            ) -> Recovery:
    """Decide for a callback of stored ``status`` whose claim ``fence`` lost
    its lease. ``live``: the attempt's channel is up in Asterisk."""
    if status != Status.DIALLING.value:
        return Recovery(Action.LEAVE)
    if live:
        return Recovery(Action.FOLLOW)
    if receipt is not None and receipt.of(fence) and receipt.ended:
        return Recovery(Action.RECORD, ending(None, receipt, fence, 0.0))
    return Recovery(Action.REQUEUE)
