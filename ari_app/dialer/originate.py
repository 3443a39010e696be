"""The Originate that places an attempt, and the dial-time check before it
(pure: the attempt itself runs in ``attempt.py``).

An attempt is seat first: AMI ``Originate`` of ``Local/s@desk-callback-seat``,
which waits in the desk queue (so Asterisk's member selection and
``ringinuse`` hold); when a seat answers, the other half runs
``desk-callback-customer``, which tells the seat who is called back and
dials the customer. The attempt's channel id is ``<callback>-<fence>``.
"""

from __future__ import annotations

import re

from ..asterisk.ami_shapes import check_originate
from ..desk.callback import LANGUAGES, Callback
from ..desk.numbers import InvalidNumber, NumberPolicy
from .config import DialerSettings

SEAT_CONTEXT = "desk-callback-seat"
CUSTOMER_CONTEXT = "desk-callback-customer"


def attempt_id(cb_id: str, fence: str) -> str:
    """The attempt's channel id (the seat half gets ``-seat`` appended)."""
    return f"{cb_id}-{fence}"


def dial_refusal(cb: Callback, numbers: NumberPolicy) -> str | None:
    """Why a claimed callback must not be dialled, or None if it may be.

    The record came from Redis: its number must pass the policy unchanged
    (the store has read every other field into its type already).
    """
    try:
        numbers.check_stored(cb.request.number)
    except InvalidNumber as exc:
        return f"number refused at dial time: {exc}"
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


def originate(cb: Callback, timing: DialerSettings, *,
              escalated: bool = False) -> dict[str, object]:
    """The AMI ``Originate`` that places the attempt (the number checked);
    an escalated one waits in the desk queue ahead of live callers. Raises
    ``HeaderRefused`` (a ``ValueError``) when a value is not of its shape
    (``asterisk.ami_shapes``): such an action is never sent."""
    cb_id, fence, number = cb.id, cb.progress.fence, cb.request.number
    attempt = attempt_id(cb_id, fence)
    prio = [f"QUEUE_PRIO={ESCALATED_PRIORITY}"] if escalated else []
    action: dict[str, object] = {
        "Action": "Originate", "Channel": f"Local/s@{SEAT_CONTEXT}/n",
        "Context": CUSTOMER_CONTEXT, "Exten": number, "Priority": "1",
        "Timeout": str(timing.seat_wait * 1000),
        "CallerID": f"\"Callback {caller_label(cb.request.topic)}\" <{number}>",
        "Variable": [f"CB_ID={cb_id}", f"CB_FENCE={fence}", f"CB_RING={timing.customer_ring}",
                     f"CB_SEAT_WAIT={timing.seat_wait}",
                     # The customer's language as captured (empty: the desk's);
                     # a stored value outside the desk's languages never reaches AMI.
                     f"CB_LANGUAGE={call_language(cb.request.language)}", *prio],
        "ChannelId": attempt, "OtherChannelId": f"{attempt}-seat", "Async": "true"}
    check_originate(action)
    return action
