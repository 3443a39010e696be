"""The quality parts of a running controller, built once and wired together.

``QualityParts`` is what ``app.py`` starts and stops and what the web face
(``web/recordings_api.py``) and ``/metrics`` read (``metrics``, a collector): the store of recordings,
their files over ARI, the tracker of the dialplan's events, the pause, the
retention sweep.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ..desk.topics import TopicCatalogue
from ..settings.schema import QualitySettings
from ..store.quality_stats import QualityStats
from ..store.recordings import RecordingStore
from .files import RecordingFiles
from .metrics import QualityCollector
from .pause import RecordingPause
from .reconcile import RecordingReconcile
from .retention import RetentionSweep
from .tracker import RecordingTracker


@dataclass(frozen=True)
class Links:
    """What the quality parts talk through: AMI, ARI and Redis."""
    ami: Any
    ari: Any
    redis: Any


class QualityParts:
    def __init__(self, links: Links, topics: TopicCatalogue, settings: QualitySettings,
                 zone: ZoneInfo, *, is_seat: Callable[[str], bool],
                 leading: Callable[[], bool]) -> None:
        ami, ari, client = links.ami, links.ari, links.redis
        self.settings = settings
        self.store = RecordingStore(client)
        self.stats = QualityStats(client, zone, keep_days=settings.retention_days)
        self.files = RecordingFiles(ari)
        self.tracker = RecordingTracker(ami, self.store, self.files, topics,
                                        is_seat=is_seat, leading=leading)
        self.tracker.on_rated = self.stats.rated
        self.pause = RecordingPause(ami, self.store, self.tracker, leading=leading)
        self.retention = RetentionSweep(self.store, self.files, settings.retention_days,
                                        leading=leading)
        self.reconcile = RecordingReconcile(ari, self.store, self.files, leading=leading)
        self.metrics = QualityCollector(self)

    @asynccontextmanager
    async def leading(self) -> AsyncIterator[None]:
        """The sweeps while this replica leads: the reconcile (at once, then every
        5 min) and the retention sweep (at once, then hourly)."""
        async with self.retention.worker.during(), self.reconcile.worker.during():
            yield

    async def stop(self) -> None:
        await self.reconcile.worker.stop()
        await self.retention.worker.stop()
        await self.pause.stop()
        await self.tracker.stop()
