"""Once a minute, the seats' activities into the daily aggregates.

Only the leader samples (one count a minute for the whole desk, however many
controllers run: ``leading`` is its leader-only part), and only a board in
sync with Asterisk: a stale board's minutes are left out rather than guessed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AbstractAsyncContextManager

from ..tasks import Worker
from .stats import DeskStats

log = logging.getLogger(__name__)


class SeatSampler:
    def __init__(self, stats: DeskStats, board, period: float = 60.0) -> None:
        self.stats, self.board, self.period = stats, board, period
        self._worker = Worker(self._run, "seat-sampler")

    def leading(self) -> AbstractAsyncContextManager[None]:
        """A sample a minute while the block runs."""
        return self._worker.during()

    async def stop(self) -> None:
        await self._worker.stop()

    async def sample(self) -> None:
        if not self.board.synced:
            return
        now = time.time()
        await self.stats.sample_seats([s.activity(now) for s in self.board])

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.period)
            try:
                await self.sample()
            except Exception as exc:  # the next minute is counted again
                log.warning("seat minutes not counted: %s", exc)
