"""The one reading of an attempt's end (pure): an AMI event of its channel
(``DialEnd``, ``Hangup``), or the receipt the dialplan writes to AstDB
(``desk-cb/<callback>`` = ``fence,DIALSTATUS,epoch``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..desk.callback import Outcome

# Receipt states that say the customer's dial did not end: still dialling,
# or the seat's half hung up before any dial (``AGENTGONE`` from dialplans
# older than the seat/agent naming).
UNFINISHED = ("DIALLING",)
SEAT_GONE = ("SEATGONE", "AGENTGONE")


@dataclass(frozen=True)
class Receipt:
    """The dialplan's receipt of a callback's last attempt (AstDB
    ``desk-cb/<callback>`` = ``fence,DIALSTATUS,epoch``)."""
    fence: str
    status: str
    at: float | None = None

    @classmethod
    def parse(cls, value: str | None) -> Receipt | None:
        """The receipt, or None for an empty or malformed value."""
        if not value:
            return None
        parts = value.split(",")
        if len(parts) < 2 or not parts[0]:
            return None
        try:
            at = float(parts[2]) if len(parts) > 2 and parts[2] else None
        except ValueError:
            at = None
        return cls(parts[0], parts[1].upper(), at)

    def of(self, fence: str) -> bool:
        return self.fence == fence

    @property
    def ended(self) -> bool:
        """Did the dial end (or never start because the seat left)?"""
        return self.status not in UNFINISHED


def dialstatus(receipt: Receipt | None, fence: str) -> str:
    """The DIALSTATUS a receipt gives this attempt; "" when it has none of
    this attempt's, or says the seat left or the dial never ended."""
    if receipt is None or not receipt.of(fence):
        return ""
    if receipt.status in SEAT_GONE or not receipt.ended:
        return ""
    return receipt.status


@dataclass(frozen=True)
class Ending:
    """What an attempt came to, and when the customer answered (if they did)."""
    outcome: Outcome
    at: float | None = None

    @property
    def answered_at(self) -> float | None:
        return self.at if self.outcome is Outcome.ANSWERED else None


def ending(end: Mapping[str, str] | None, receipt: Receipt | None, fence: str,
           now: float) -> Ending:
    """The outcome of an attempt from its end event (``DialEnd`` is read as
    is, at ``now``) or, after a ``Hangup`` or no event at all, from its
    receipt (at the receipt's time)."""
    if end is not None and end.get("Event") == "DialEnd":
        return Ending(Outcome.from_dialstatus(end.get("DialStatus", "")), now)
    status = dialstatus(receipt, fence)
    at = receipt.at if receipt is not None and receipt.of(fence) else None
    return Ending(Outcome.from_dialstatus(status), at)
