"""Callbacks: the request a caller or an agent leaves, and its attempts.

A callback is ``open`` (waiting for its due time), ``dialling`` (claimed by
the dialer under a lease), and ends ``done`` (the customer answered),
``failed`` (attempts or time ran out), ``cancelled`` or ``served`` (the
customer reached the desk live meanwhile). The retry rule lives here, pure;
the store applies it atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from .promise import Booking, Told


class Status(str, Enum):
    OPEN = "open"
    DIALLING = "dialling"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SERVED = "served"

    @property
    def final(self) -> bool:
        return self not in (Status.OPEN, Status.DIALLING)


class Outcome(str, Enum):
    """What one attempt came to, from Asterisk's own report."""
    ANSWERED = "answered"             # the customer answered and talked to the seat
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"                 # congestion, unreachable, refused
    SEAT_NO_ANSWER = "seat-no-answer"  # no seat took the call: the customer was not dialled
    SEAT_HUNG_UP = "seat-hung-up"      # the seat left before the customer answered
    REFUSED = "refused"               # the dialplan refused the number: never dialled
    NOT_PLACED = "not-placed"         # the controller refused or could not place the call

    @classmethod
    def from_dialstatus(cls, status: str) -> "Outcome":
        return {
            "ANSWER": cls.ANSWERED, "BUSY": cls.BUSY, "NOANSWER": cls.NO_ANSWER,
            "CANCEL": cls.SEAT_HUNG_UP, "": cls.SEAT_HUNG_UP, "REFUSED": cls.REFUSED,
        }.get(status.upper(), cls.FAILED)

    @property
    def reached_customer(self) -> bool:
        """Did this attempt ring (or try to ring) the customer?"""
        return self not in (Outcome.SEAT_NO_ANSWER, Outcome.SEAT_HUNG_UP, Outcome.REFUSED,
                            Outcome.NOT_PLACED)


class Sla(str, Enum):
    """Whether the customer was first dialled by the deadline."""
    MET = "met"
    BREACHED = "breached"

    @classmethod
    def of(cls, first_dialled: float, deadline: float) -> "Sla":
        """The SLA rule: the first dial (Unix s) at or before the deadline meets it."""
        return cls.MET if first_dialled <= deadline else cls.BREACHED


class Stale(str, Enum):
    """Why the store did not record an ending: the callback is gone, or a
    later claim superseded this attempt (its fence is no longer current)."""
    MISSING = "missing"
    STALE = "stale"


# The languages the desk speaks (a full prompt set each): Mandarin, English.
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Request:
    """What was asked: the number to call, and what about."""
    number: str
    topic: str = ""
    note: str = ""
    agent: str = ""                 # the frontline agent who asked for it
    source: str = ""                # api, ivr
    language: str = ""              # the customer's (zh, en); empty: the desk's default


@dataclass(frozen=True)
class Times:
    """Unix seconds: when it was made and last changed, its SLA deadline and
    when the next attempt is due."""
    deadline: float
    due: float
    created: float | None = None
    updated: float | None = None


@dataclass(frozen=True)
class Progress:
    """The attempts so far."""
    attempts: int = 0               # attempts that rang the customer
    tries: int = 0                  # claims, those no seat took included
    fence: str = "0"                # the current claim
    last_outcome: Outcome | None = None
    reason: str = ""                # why it is where it is, in words


@dataclass(frozen=True)
class Result:
    """How the callback met its SLA, and when the customer answered."""
    first_dialled: float | None = None
    answered_at: float | None = None
    sla: Sla | None = None


@dataclass(frozen=True)
class Promised:
    """What the customer was told when it was made (``desk.promise``): the
    form, the earliest and latest times said (Unix s), and whether it keeps
    a slot. A booked callback's slot is [``Times.due``, ``Times.deadline``)."""
    told: Told | None = None        # None: nothing told (stored before promises were)
    start: float | None = None
    end: float | None = None        # the told time; None for "after 09:00"
    booking: Booking = Booking.NONE


@dataclass(frozen=True)
class Callback:
    """A stored callback, as the store reads it (only the store builds one)."""
    id: str
    status: Status
    request: Request
    times: Times
    progress: Progress = Progress()
    result: Result = Result()
    promised: Promised = Promised()

    @property
    def booked(self) -> bool:
        """It keeps a slot: never dialled before ``times.due``."""
        return self.promised.booking is not Booking.NONE


class Cancel(str, Enum):
    """What a request to cancel came to."""
    CANCELLED = "cancelled"
    MISSING = "missing"
    ENDED = "ended"                 # it had already ended (``Cancellation.ended`` says how)


@dataclass(frozen=True)
class Cancellation:
    result: Cancel
    ended: Status | None = None


@dataclass(frozen=True)
class Refused:
    """A due callback the store would not hand to the dialer, ended
    ``failed`` instead: its record cannot be one the controller wrote under
    its key (``why`` = ``record-mismatch``), or ``claim_refusal`` says its
    tries are used up (``used-up``); ``reason`` says which, in words. ``id``
    is its key's."""
    id: str
    why: str
    reason: str


@dataclass(frozen=True)
class Unreadable:
    """A record handed to the dialer (claimed, or found under a lapsed lease)
    that is no callback the controller wrote under its key: its fields
    disagree with the key or cannot be read (``why`` = ``record-mismatch``;
    ``reason`` says which, in words). Never dialled: the dialer ends it
    ``failed`` under ``fence``, its claim's. ``id`` is its key's; ``number``
    the stored value as it is, for the log line that names it."""
    id: str
    fence: str
    why: str
    reason: str
    number: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts at the customer, and the pauses between them."""
    max_attempts: int = 3
    backoff: tuple[int, ...] = (120, 300, 600)    # seconds after attempt 1, 2, 3...
    seat_retry: int = 30                           # seconds, when no seat took it
    # How long after the SLA deadline attempts may still start (0: none).
    grace: int = 0
    # Times a callback may be offered to the desk without a seat taking it.
    seat_tries: int = 10

    def pause_after(self, attempts: int) -> int:
        return self.backoff[min(attempts, len(self.backoff)) - 1] if self.backoff else 0

    @property
    def max_tries(self) -> int:
        """Claims a callback may have in all: each is an attempt at the
        customer or a time it came back without one (no seat took it, its
        lease ran out, the call rate limit deferred it)."""
        return self.max_attempts + self.seat_tries


def claim_refusal(attempts: int, tries: int, policy: RetryPolicy) -> str | None:
    """Why a callback may not be claimed again (in words), or None if it may.

    Every way back to the queue (a retry, a requeue after a lapsed lease or
    a restart, a deferral) ends in a claim, and the claim counts itself
    (``tries``) whatever brought the callback back: so no record can have
    its customer called more than ``max_attempts`` times, nor be offered
    more than ``max_tries`` times in all. The store applies this rule in
    the step that claims (``store/callback_lua.py`` CLAIM), so a record that
    has used them up ends ``failed`` rather than reaching the dialer.
    """
    if attempts >= policy.max_attempts:
        return (f"its {attempts} attempt(s) at the customer are used up "
                f"(at most {policy.max_attempts})")
    if tries >= policy.max_tries:
        return f"claimed {tries} times already (at most {policy.max_tries})"
    return None


REFUSED_BY_DIALPLAN = ("refused by the dialplan: the number is not of an allowed shape "
                       "(desk-callback-customer)")


@dataclass(frozen=True)
class Next:
    """What follows an attempt: a final status, or the next due time."""
    status: Status
    due: datetime | None = None
    reason: str = ""


def after_attempt(outcome: Outcome, attempts: int, now: datetime, deadline: datetime,
                  policy: RetryPolicy, *, seat_failures: int = 0) -> Next:
    """Decide what follows an attempt.

    ``attempts`` counts attempts that reached the customer, this one
    included; ``seat_failures`` the times no seat took the callback, this
    one included. An answered call ends the callback. A seat that did not
    take the call costs the customer no attempt: retry soon, up to
    ``seat_tries`` times. Otherwise retry after the back-off while attempts
    remain. Retries are bounded by the count and by the deadline (plus
    ``grace``): a retry that could only start later ends the callback as
    failed, and says why; except that a customer never rung yet is still
    owed the call (the desk, not the customer, failed), so seat failures
    alone never end it at the deadline.
    """
    if outcome is Outcome.ANSWERED:
        return Next(Status.DONE, reason="answered")
    if outcome is Outcome.REFUSED:  # trying again would meet the same refusal
        return Next(Status.FAILED, reason=REFUSED_BY_DIALPLAN)
    if outcome.reached_customer and attempts >= policy.max_attempts:
        return Next(Status.FAILED, reason=f"{outcome.value} after {attempts} attempt(s)")
    if not outcome.reached_customer and seat_failures >= policy.seat_tries:
        return Next(Status.FAILED, reason=f"no seat took it {seat_failures} times")
    pause = policy.pause_after(attempts) if outcome.reached_customer else policy.seat_retry
    due = now + timedelta(seconds=pause)
    owed = attempts == 0 and not outcome.reached_customer
    if due > deadline + timedelta(seconds=policy.grace) and not owed:
        return Next(Status.FAILED, reason=f"{outcome.value}; the next attempt would come after "
                                          f"the deadline {deadline:%Y-%m-%d %H:%M}")
    what = "retry" if outcome.reached_customer else "retry when a seat is free"
    return Next(Status.OPEN, due, reason=f"{outcome.value}: {what} in {pause} s")


def late(cb: Callback, now: float) -> bool:
    """Has this callback missed its promise with nothing done yet? Still
    open or being offered to the desk, the customer never rung, and its
    deadline (a booked slot's end) before ``now`` (Unix seconds)."""
    return not cb.status.final and cb.result.first_dialled is None and cb.times.deadline < now


def at_risk(cb: Callback, now: float, minutes: float) -> bool:
    """Is this callback at risk of missing its SLA?

    At risk: still open or being offered to the desk, the customer never
    rung yet (``first_dialled`` unset), and the deadline at most ``minutes``
    after ``now`` (Unix seconds); a deadline already past is at risk too, the
    call is still owed. ``minutes`` <= 0 turns the rule off (never at risk).
    """
    if minutes <= 0 or cb.status.final or cb.result.first_dialled is not None:
        return False
    return cb.times.deadline - now <= minutes * 60
