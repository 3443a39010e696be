"""AMI's own heartbeat: a link that says nothing is not a link that works.

A frozen PBX (stopped, deadlocked, swapping) keeps its TCP connection open:
the kernel still holds it, but nothing is answered and no event comes, so a
board fed by events keeps its last state and looks true. The client
therefore pings (``Ping`` needs no privilege class, so the controller's
least-privilege AMI user keeps what it has) whenever it has heard nothing
for ``interval`` seconds, and gives the link up when nothing at all has come
back ``timeout`` seconds after a ping: the link is dropped and the usual
reconnect and resync follow, while the board is marked stale since the last
moment Asterisk was heard. Anything received counts as heard (an event, any
answer), so a busy link is never pinged. An action that timed out asks for
a ping at once (``suspect``): a read that got no answer is a sign too.

panoramisk has a pinger of its own, but it only sends ``Ping`` on a timer
and never looks for the answer, so it cannot tell a silent link.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class HeartbeatTiming:
    """Seconds: ping after ``interval`` of silence; give the link up when a
    ping is unanswered (nothing received) for ``timeout``. ``interval`` 0: no
    heartbeat."""
    interval: float = 2.0
    timeout: float = 4.0


class Liveness:
    """When to ping and when a link is silent: pure, on a clock the caller
    passes (monotonic seconds), so that it is tested without waiting."""

    def __init__(self, timing: HeartbeatTiming, now: float) -> None:
        self.timing = timing
        self.heard_at = now
        self.pinged_at: float | None = None
        self._suspect = False

    def heard(self, now: float) -> None:
        """Something came from Asterisk: the link lives; no ping outstanding."""
        self.heard_at, self.pinged_at, self._suspect = now, None, False

    def suspect(self) -> None:
        """An action got no answer in time: ping now rather than after the interval."""
        self._suspect = True

    def ping_due(self, now: float) -> bool:
        """A ping should go now (none outstanding, and quiet long enough or suspect)."""
        if self.pinged_at is not None or self.timing.interval <= 0:
            return False
        return self._suspect or now - self.heard_at >= self.timing.interval

    def pinged(self, now: float) -> None:
        self.pinged_at, self._suspect = now, False

    def silent_for(self, now: float) -> float | None:
        """Seconds since Asterisk was last heard, once a ping went unanswered
        for ``timeout``; None while the link may still be alive."""
        if self.pinged_at is None or now - self.pinged_at < self.timing.timeout:
            return None
        return now - self.heard_at

    def next_check(self, now: float) -> float:
        """Seconds until ``ping_due`` or ``silent_for`` may change by the clock alone."""
        if self.pinged_at is not None:
            return max(0.0, self.pinged_at + self.timing.timeout - now)
        return max(0.0, self.heard_at + self.timing.interval - now)

    def why_silent(self, silent: float) -> str:
        """The cause, as the log line and readiness name it."""
        return (f"no answer from Asterisk for {silent:.0f} s (a Ping unanswered after "
                f"{self.timing.timeout:g} s): the PBX is frozen or overloaded")


async def beat(live: Liveness, ping: Callable[[], None], give_up: Callable[[str], None],
               wake: asyncio.Event, clock: Callable[[], float] = time.monotonic) -> None:
    """Run one link's heartbeat until it gives the link up (``give_up(why)``,
    then return) or is cancelled with the link. ``ping()`` sends a ``Ping``
    without waiting; the answer is heard like anything else. ``wake`` asks
    for a look before the next one is due (an action timed out)."""
    live.heard(clock())
    while live.timing.interval > 0:
        now = clock()
        silent = live.silent_for(now)
        if silent is not None:
            give_up(live.why_silent(silent))
            return
        if live.ping_due(now):
            live.pinged(now)
            ping()
        wake.clear()
        try:
            await asyncio.wait_for(wake.wait(), live.next_check(now) + 0.05)
        except asyncio.TimeoutError:
            pass
