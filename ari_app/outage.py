"""A loop's outage: one line when it starts, one when it ends, back-off between.

A periodic loop (the dialer's steps, the SLA-risk watch) whose step fails
because Redis or Asterisk is away used to write a WARNING on every tick (26
lines in 26 s of a Redis outage) and to try again at full speed. Now the
first failure is one WARNING naming the cause; the retries back off (the
loop's own period doubled each time, up to ``cap``); a reminder follows only
after minutes (``Repeats`` with a long first gap), or at once if the cause
changes; the first step that succeeds again writes one INFO line saying how
long it lasted and how many steps failed. ``FAILED_STEPS`` counts every
failed step by loop and ``FAILING_SINCE`` says which loop is failing now
(both read by ``/metrics``).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from .logs import Repeats, cause

# Failed steps since start, by loop name; loops failing now: name -> wall time.
FAILED_STEPS: Counter[str] = Counter()
FAILING_SINCE: dict[str, float] = {}


class Outage:
    """One loop's trouble, told once and backed off. ``clock``: monotonic seconds."""

    def __init__(self, name: str, log: logging.Logger, every: float, *, cap: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.log, self.clock = name, log, clock
        self.first = max(every, 0.5)
        self.cap = max(cap, self.first)
        self.failures = 0
        self._began = 0.0
        self._kind = ""
        self._reminders = Repeats(first=300.0, cap=1800.0, clock=clock)

    @property
    def failing(self) -> bool:
        return self.failures > 0

    def failed(self, exc: BaseException) -> float:
        """A step raised ``exc``: count it, tell it if it is news, and return
        how long to wait before the next try (seconds)."""
        FAILED_STEPS[self.name] += 1
        kind = type(exc).__name__
        if not self.failures:
            self._began = self.clock()
            FAILING_SINCE[self.name] = time.time()
        self.failures += 1
        if kind != self._kind:
            self._kind = kind
            self._reminders.clear()
        if self._reminders.due(kind):
            if self._reminders.again:
                self.log.warning("%s: still failing after %.0f s (%d failed steps): %s: %s",
                                 self.name, self.clock() - self._began, self.failures, kind,
                                 cause(exc))
            else:
                self.log.warning("%s: %s: %s; retrying with back-off (up to every %g s), "
                                 "one line when it works again", self.name, kind, cause(exc),
                                 self.cap)
        return min(self.first * 2 ** (self.failures - 1), self.cap)

    def succeeded(self) -> None:
        """A step worked: if it had been failing, say so once and start afresh."""
        if not self.failures:
            return
        self.log.info("%s: working again after %.0f s (%d failed steps)", self.name,
                      self.clock() - self._began, self.failures)
        self.failures, self._kind = 0, ""
        self._reminders.clear()
        FAILING_SINCE.pop(self.name, None)
