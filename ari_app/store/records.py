"""Stored callbacks read into the domain's ``Callback`` (or, for the dialer,
an ``Unreadable`` it can still end): the one place a Redis hash becomes a
typed value. Redis is an input: a record that cannot be
read (an unknown status, a time that is not a number) is refused with a
warning naming the callback and the field, never guessed at.

A callback's id is the one in its key, never a field of its hash: a record
whose fields disagree with its key, or have shapes no script of the store
writes, is one the controller did not write (``disagreement``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

from ..desk.callback import (Callback, Outcome, Progress, Promised, Request, Result, Sla, Status,
                             Times, Unreadable)
from ..desk.promise import Booking, Told

log = logging.getLogger(__name__)

# Outcomes as stored before the desk's people were called seats.
_FORMER = {"agent-no-answer": Outcome.SEAT_NO_ANSWER, "agent-hung-up": Outcome.SEAT_HUNG_UP}
_TEXT = ("topic", "note", "agent", "source", "language")


def _time(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


def _count(value: str | None) -> int:
    return int(value) if value not in (None, "") else 0


def _outcome(value: str | None) -> Outcome | None:
    if not value:
        return None
    return _FORMER.get(value) or Outcome(value)


# The ids the store gives ('cb' and its sequence, store/callback_lua.py
# CREATE): the only names of a callback in Redis, an AMI header and AstDB.
CALLBACK_ID = re.compile(r"cb[1-9][0-9]{0,17}")
_COUNTS = ("fence", "tries", "attempts")
_TIME = re.compile(r"[0-9]+(\.[0-9]+)?")
MISMATCH = "stored record disagrees with its key: "


def shown(cb_id: str) -> str:
    """A callback id fit for a log line: as is, or quoted and cut when it is
    not one the store would give (a key anyone with the store's login could
    write)."""
    return cb_id if cb_id.isprintable() and len(cb_id) <= 40 else repr(cb_id[:40])


def _count_shaped(value: str | None) -> bool:
    return value is not None and value.isascii() and value.isdigit() and len(value) <= 9


def disagreement(cb_id: str, record: Mapping[str, str] | None,
                 status: Status = Status.OPEN) -> str | None:
    """Why ``record``, read under the key of ``cb_id`` while it should be
    ``status``, cannot be one the controller wrote there (the reason, in
    words), or None. The id must be of the store's shape and the ``id``
    field the same; the counts plain digits; the deadline a plain number.
    CLAIM (``callback_lua.py``) checks the same, in the same order and the
    same words: ``tests/integration/test_store_contract.py`` holds them
    together."""
    if not record:
        return MISMATCH + "no record under its key"
    if not CALLBACK_ID.fullmatch(cb_id):
        return MISMATCH + "its key is not a callback id (cb and digits)"
    if record.get("id") != cb_id:
        return MISMATCH + "its id field differs from its key"
    if record.get("status") != status.value:
        return MISMATCH + f"its status is not {status.value}"
    for name in _COUNTS:
        if not _count_shaped(record.get(name)):
            return MISMATCH + f"its {name} is not a count"
    deadline = record.get("deadline") or ""
    if len(deadline) > 40 or not _TIME.fullmatch(deadline):
        return MISMATCH + "its deadline is not a time"
    return None


def read(record: Mapping[str, str], cb_id: str) -> Callback:
    """The callback a stored hash holds, named ``cb_id`` (its key's id,
    whatever its ``id`` field says); ``KeyError`` or ``ValueError`` when a
    field is missing or not of its type."""
    return Callback(
        id=cb_id, status=Status(record["status"]),
        request=Request(record["number"], **{k: record.get(k, "") for k in _TEXT}),
        times=Times(float(record["deadline"]), float(record["due"]),
                    _time(record.get("created")), _time(record.get("updated"))),
        progress=Progress(_count(record.get("attempts")), _count(record.get("tries")),
                          record.get("fence") or "0", _outcome(record.get("last_outcome")),
                          record.get("reason", "")),
        result=Result(_time(record.get("first_dialled")), _time(record.get("answered_at")),
                      Sla(record["sla"]) if record.get("sla") else None),
        promised=_promised(record))


def _promised(record: Mapping[str, str]) -> Promised:
    """What the customer was told (none for a record stored before promises)."""
    told = record.get("promise")
    return Promised(Told(told) if told else None, _time(record.get("promise_from")),
                    _time(record.get("promise_by")), Booking(record.get("booking") or ""))


def callback_of(record: Mapping[str, str], cb_id: str | None = None) -> Callback | None:
    """The callback a stored hash holds, or None (logged) if it cannot be
    read. ``cb_id``: the id of the key it was read under, which names it
    whatever its ``id`` field says (None: that field, for a hash at hand)."""
    cb_id = record.get("id", "?") if cb_id is None else cb_id
    try:
        return read(record, cb_id)
    except (KeyError, ValueError) as exc:
        log.warning("callback %s: stored record unreadable (%s: %s); left out",
                    shown(cb_id), type(exc).__name__, exc, extra={"callback": cb_id[:64]})
        return None


UNREADABLE = "stored record unreadable: "


def taken(cb_id: str, record: Mapping[str, str], status: Status) -> Callback | Unreadable:
    """A record the dialer takes under the key of ``cb_id`` while it should
    be ``status`` (just claimed, or found under a lapsed lease): the
    callback, or ``Unreadable`` (with its claim's fence, to end it under)
    when it disagrees with its key or a field cannot be read."""
    problem = disagreement(cb_id, record, status)
    if problem is None:
        try:
            return read(record, cb_id)
        except (KeyError, ValueError) as exc:
            problem = f"{UNREADABLE}{type(exc).__name__}: {exc}"
    return Unreadable(cb_id, record.get("fence", ""), "record-mismatch", problem,
                      record.get("number", ""))
