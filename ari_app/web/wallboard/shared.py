"""One wallboard snapshot for every viewer at a time.

Each open wallboard asks for a snapshot every second and at once on every
board change, and one snapshot is about six reads of the store: a centre
with thirty boards on its walls would read Redis thirty times over for the
same picture. ``SharedSnapshot`` builds one snapshot at a time and gives it
to every viewer that asks meanwhile; a built one is given again for
``fresh`` seconds unless the board has changed since (the controller's
change ``generation``), so a change is never hidden behind an older picture.
What one viewer may see (masked numbers) is cut from it per viewer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class SharedSnapshot:
    def __init__(self, build: Callable[[], Awaitable[dict]], generation: Callable[[], int], *,
                 fresh: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self._build, self._generation = build, generation
        self.fresh, self.clock = fresh, clock
        self._task: asyncio.Future | None = None
        self._task_generation = -1
        self._last: tuple[int, float, dict] | None = None   # generation, started, snapshot
        self.builds = 0

    async def __call__(self) -> dict:
        generation = self._generation()
        last = self._last
        if last is not None and last[0] == generation and self.clock() - last[1] < self.fresh:
            return last[2]
        task = self._task
        if task is None or task.done() or self._task_generation != generation:
            self._task_generation = generation
            task = self._task = asyncio.ensure_future(self._run(generation))
            # Its failure is each waiter's; with every waiter gone, nobody's.
            task.add_done_callback(lambda t: t.cancelled() or t.exception())
        # A viewer that leaves does not cancel the build the others wait for.
        return await asyncio.shield(task)

    async def _run(self, generation: int) -> dict:
        started = self.clock()
        self.builds += 1
        snapshot = await self._build()
        if self._last is None or self._last[0] <= generation:
            self._last = (generation, started, snapshot)
        return snapshot
