"""Stored callbacks read into the domain's ``Callback``: the one place a
Redis hash becomes a typed value. Redis is an input: a record that cannot be
read (an unknown status, a time that is not a number) is refused with a
warning naming the callback and the field, never guessed at."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from ..desk.callback import Callback, Outcome, Progress, Request, Result, Sla, Status, Times

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


def callback_of(record: Mapping[str, str]) -> Callback | None:
    """The callback a stored hash holds, or None (logged) if it cannot be read."""
    try:
        return Callback(
            id=record["id"], status=Status(record["status"]),
            request=Request(record["number"], **{k: record.get(k, "") for k in _TEXT}),
            times=Times(float(record["deadline"]), float(record["due"]),
                        _time(record.get("created")), _time(record.get("updated"))),
            progress=Progress(_count(record.get("attempts")), _count(record.get("tries")),
                              record.get("fence") or "0", _outcome(record.get("last_outcome")),
                              record.get("reason", "")),
            result=Result(_time(record.get("first_dialled")), _time(record.get("answered_at")),
                          Sla(record["sla"]) if record.get("sla") else None))
    except (KeyError, ValueError) as exc:
        log.warning("callback %s: stored record unreadable (%s: %s); left out",
                    record.get("id", "?"), type(exc).__name__, exc,
                    extra={"callback": record.get("id", "?")})
        return None
