"""An asyncio event loop on a virtual clock, for simulations.

``loop.time()`` returns virtual seconds. When nothing is ready to run, the
loop does not sleep until its next timer: it moves the clock to it at once.
Code on this loop (``asyncio.sleep``, ``wait_for``, ``call_later``) runs
unchanged, and a simulated day passes in seconds of real time.

The selector is still a real one (the loop's own wake-up pipe is registered
with it) but it is only ever polled, never waited on: a simulation does no
real I/O. Keep the clock small (seconds since the start of the run) and add
the wall-clock epoch outside: float steps near 1.7e9 are coarser than the
loop's clock resolution.
"""

from __future__ import annotations

import asyncio
import math
import selectors


class _JumpingSelector(selectors.BaseSelector):
    """A real selector polled with timeout 0; a wait becomes a clock jump."""

    def __init__(self, loop: VirtualClockLoop) -> None:
        self._real = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj, events, data=None):
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj):
        return self._real.unregister(fileobj)

    def modify(self, fileobj, events, data=None):
        return self._real.modify(fileobj, events, data)

    def get_map(self):
        return self._real.get_map()

    def close(self) -> None:
        self._real.close()

    def select(self, timeout: float | None = None):
        events = self._real.select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            raise RuntimeError("simulation stalled: nothing is ready and no timer is set")
        self._loop.advance(timeout)
        return events


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose clock is virtual (seconds from ``start``)."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward (never back), by at least one step of the
        float, so that a timer a rounding error away still comes due."""
        if seconds > 0:
            self._now = max(self._now + seconds, math.nextafter(self._now, math.inf))


def run(main, *, start: float = 0.0):
    """Run the coroutine ``main`` to completion on a fresh virtual-clock loop."""
    with asyncio.Runner(loop_factory=lambda: VirtualClockLoop(start)) as runner:
        return runner.run(main)
