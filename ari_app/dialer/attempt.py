"""One attempt, as Asterisk reports it: the Originate that places it, the
dial-time checks, and the one reading of its end (an AMI event, or the
receipt the dialplan writes to AstDB).

An attempt is seat first: AMI ``Originate`` of ``Local/s@desk-callback-seat``,
which waits in the desk queue (so Asterisk's member selection and
``ringinuse`` hold); when a seat answers, the other half runs
``desk-callback-customer``, which tells the seat who is called back and
dials the customer. The attempt's channel id is ``<callback>-<fence>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..asterisk.ami_shapes import check_originate
from ..desk.callback import LANGUAGES, Outcome
from ..desk.numbers import InvalidNumber, NumberPolicy
from .config import DialerSettings

SEAT_CONTEXT = "desk-callback-seat"
CUSTOMER_CONTEXT = "desk-callback-customer"
# Receipt states that say the customer's dial did not end: still dialling,
# or the seat's half hung up before any dial (``AGENTGONE`` from dialplans
# older than the seat/agent naming).
UNFINISHED = ("DIALLING",)
SEAT_GONE = ("SEATGONE", "AGENTGONE")


def attempt_id(cb_id: str, fence: str) -> str:
    """The attempt's channel id (the seat half gets ``-seat`` appended)."""
    return f"{cb_id}-{fence}"


def dial_refusal(cb: Mapping[str, str], numbers: NumberPolicy) -> str | None:
    """Why a claimed callback must not be dialled, or None if it may be.

    The record came from Redis: its number must pass the policy unchanged
    and its deadline must be a number.
    """
    try:
        numbers.check_stored(cb.get("number"))
    except InvalidNumber as exc:
        return f"number refused at dial time: {exc}"
    try:
        float(cb.get("deadline", ""))
    except ValueError:
        return "the stored deadline is not a number"
    return None


def caller_label(topic: str | None) -> str:
    """The topic as shown on the seat's phone: letters, digits and dashes only
    (it goes into an AMI header and a caller ID)."""
    return re.sub(r"[^A-Za-z0-9-]", "", topic or "")[:40]


# Queue priority of an escalated attempt (``QUEUE_PRIO``, read by app_queue on
# the Local channel's queue half, which inherits it): ahead of live callers (0).
ESCALATED_PRIORITY = 10


def call_language(stored: str) -> str:
    """A stored callback language fit for an AMI header ("" if not one of ours)."""
    return stored if stored in LANGUAGES else ""


def originate(cb: Mapping[str, str], timing: DialerSettings, *,
              escalated: bool = False) -> dict[str, object]:
    """The AMI ``Originate`` that places the attempt (the number checked);
    an escalated one waits in the desk queue ahead of live callers. Raises
    ``HeaderRefused`` (a ``ValueError``) when a value is not of its shape
    (``asterisk.ami_shapes``): such an action is never sent."""
    cb_id, fence, number = cb["id"], cb["fence"], cb.get("number", "")
    attempt = attempt_id(cb_id, fence)
    prio = [f"QUEUE_PRIO={ESCALATED_PRIORITY}"] if escalated else []
    action: dict[str, object] = {
        "Action": "Originate", "Channel": f"Local/s@{SEAT_CONTEXT}/n",
        "Context": CUSTOMER_CONTEXT, "Exten": number, "Priority": "1",
        "Timeout": str(timing.seat_wait * 1000),
        "CallerID": f"\"Callback {caller_label(cb.get('topic'))}\" <{number}>",
        "Variable": [f"CB_ID={cb_id}", f"CB_FENCE={fence}", f"CB_RING={timing.customer_ring}",
                     f"CB_SEAT_WAIT={timing.seat_wait}",
                     # The customer's language as captured (empty: the desk's);
                     # a stored value outside the desk's languages never reaches AMI.
                     f"CB_LANGUAGE={call_language(cb.get('language', ''))}", *prio],
        "ChannelId": attempt, "OtherChannelId": f"{attempt}-seat", "Async": "true"}
    check_originate(action)
    return action


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
