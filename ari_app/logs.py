"""Structured logs: one JSON object a line, easy to grep and to ship."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable

from .timefmt import for_machines


class PlainFormatter(logging.Formatter):
    """Human-readable lines, stamped like the JSON ones (UTC, ``Z``)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return for_machines(record.created, milliseconds=True) or ""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": for_machines(record.created, milliseconds=True),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("call", "callback", "seat"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "INFO", json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else
                         PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # panoramisk logs every reconnect attempt at ERROR; ours say it better.
    logging.getLogger("panoramisk").setLevel(logging.CRITICAL)


class Repeats:
    """When a complaint that repeats deserves a line.

    A new cause is told at once; while the same cause lasts it is told again
    after 1 s, then 2, 4 ... up to every 30 s, so an outage of an hour writes
    a few dozen lines, not thousands. ``again`` says whether the cause was
    already told (say it short then: the first line gave the remedy).
    ``clear()`` when the trouble is over. ``clock`` is monotonic seconds.
    """

    def __init__(self, first: float = 1.0, cap: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.first, self.cap, self.clock = first, cap, clock
        self.cause: str | None = None
        self.skipped = 0
        self.again = False
        self._next = 0.0
        self._gap = first

    def due(self, cause: str) -> bool:
        """True when a line about ``cause`` should be written now."""
        now = self.clock()
        if cause != self.cause:
            self.cause, self.skipped, self._gap = cause, 0, self.first
            self._next = now + self._gap
            self.again = False
            return True
        if now < self._next:
            self.skipped += 1
            return False
        self._gap = min(self._gap * 2, self.cap)
        self._next = now + self._gap
        self.again = True
        return True

    def told(self) -> str:
        """`` (N more since)`` for the line being written, then counts afresh."""
        skipped, self.skipped = self.skipped, 0
        return f" ({skipped} more since)" if skipped else ""

    def clear(self) -> bool:
        """Forget the cause; True if there was one (the caller may say it is over)."""
        had, self.cause, self.skipped = self.cause is not None, None, 0
        return had
