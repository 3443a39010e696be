"""The quality parts of a running controller, built once and wired together.

``QualityParts`` is what ``app.py`` starts and stops and what the web face
(``web/recordings_api.py``) and ``/metrics`` read: the store of recordings,
their files over ARI, the tracker of the dialplan's events, the pause, the
retention sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..desk.topics import TopicCatalogue
from ..settings.schema import QualitySettings
from ..store.recordings import RecordingStore
from .files import RecordingFiles
from .pause import RecordingPause
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
                 *, is_seat: Callable[[str], bool], leading: Callable[[], bool]) -> None:
        ami, ari, client = links.ami, links.ari, links.redis
        self.settings = settings
        self.store = RecordingStore(client)
        self.files = RecordingFiles(ari)
        self.tracker = RecordingTracker(ami, self.store, self.files, topics,
                                        is_seat=is_seat, leading=leading)
        self.pause = RecordingPause(ami, self.store, self.tracker, leading=leading)
        self.retention = RetentionSweep(self.store, self.files, settings.retention_days,
                                        leading=leading)

    def start(self) -> None:
        self.retention.worker.start()

    async def stop(self) -> None:
        await self.retention.worker.stop()
        await self.pause.stop()
        await self.tracker.stop()
