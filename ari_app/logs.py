"""Structured logs: one JSON object a line, easy to grep and to ship.

Customers' numbers are personal data: every line (message and traceback)
goes through ``hide_numbers``, which masks them to their last four digits as
the wallboard does, unless the operator turned full numbers on (``[logs]
full_numbers``; ``numbers_line`` says which at every start). It works on the
written line, so no call site has to remember it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Callable

from .desk.numbers import mask
from .timefmt import for_machines

# A phone number as it can reach a log line: an optional +, then 7 or more
# digits standing alone. Left whole: digits inside a word, an id or a
# channel name (``cb12``, ``-00000012;1``), decimals such as Asterisk's
# unique ids (``1764468000.12``), and the desk's own AstDB spool keys (the
# caller's unique id digits), which an operator needs whole to remove one.
_NUMBER = re.compile(r"(?<![0-9A-Za-z_.\-])(?<!spool entry )(?<!desk-spool )(?<!desk-spool/)"
                     r"\+?[0-9]{7,}(?![0-9A-Za-z_])(?!\.[0-9])")


def hide_numbers(text: str) -> str:
    """``text`` with every phone number in it masked to its last four digits."""
    return _NUMBER.sub(lambda m: mask(m.group()), text)


# What an exception whose message is empty means, when that is all it says.
_SILENT_MEANING = {"TimeoutError": "no answer in time", "CancelledError": "cancelled",
                   "ConnectionResetError": "connection reset by the peer",
                   "IncompleteReadError": "connection closed mid-message"}


def cause(exc: BaseException) -> str:
    """How a log line names ``exc``: its message, or, when that is empty
    (``asyncio.TimeoutError()`` says nothing), its type and what that type means."""
    text = str(exc).strip()
    if text:
        return text
    name = type(exc).__name__
    for kind in type(exc).__mro__:
        if kind.__name__ in _SILENT_MEANING:
            return f"{name}: {_SILENT_MEANING[kind.__name__]}"
    return name


class NamedCauses(logging.Filter):
    """Gives an exception passed as a ``%s`` argument a name when its message
    is empty, so that no line reads ``failed ()``; every call site is covered."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and any(isinstance(a, BaseException) for a in args):
            record.args = tuple(cause(a) if isinstance(a, BaseException) else a for a in args)
        return True


def numbers_line(full_numbers: bool) -> str:
    """What the start says about customers' numbers in the log."""
    if full_numbers:
        return ("customers' numbers are logged in full ([logs] full_numbers = true): this "
                "log holds personal data")
    return ("customers' numbers are logged masked to their last four digits ([logs] "
            "full_numbers = false)")


class _Masking(logging.Formatter):
    """A formatter that hides numbers in what it writes unless told not to."""

    def __init__(self, fmt: str | None = None, *, full_numbers: bool = False) -> None:
        super().__init__(fmt)
        self.full_numbers = full_numbers

    def shown(self, text: str) -> str:
        return text if self.full_numbers else hide_numbers(text)


class PlainFormatter(_Masking):
    """Human-readable lines, stamped like the JSON ones (UTC, ``Z``)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return for_machines(record.created, milliseconds=True) or ""

    def format(self, record: logging.LogRecord) -> str:
        return self.shown(super().format(record))


class JsonFormatter(_Masking):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": for_machines(record.created, milliseconds=True),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": self.shown(record.getMessage()),
        }
        for key in ("call", "callback", "seat"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.shown(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def setup(level: str = "INFO", json_lines: bool = True, *, full_numbers: bool = False) -> None:
    """Log to stderr at ``level``, JSON lines or plain; numbers masked unless
    ``full_numbers``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(full_numbers=full_numbers) if json_lines else
                         PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                        full_numbers=full_numbers))
    handler.addFilter(NamedCauses())
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
