"""Retention: recordings older than ``[quality] retention_days`` go, file and record.

The leader sweeps once an hour (and soon after it starts leading): every
recording started before the cut-off is deleted over ARI, then its record.
A recording under review (appealed, no decision yet) is kept until its
review ends, however old; the next sweep after the decision deletes it if it
is past its time. Deleted and kept recordings are counted for ``/metrics``;
a file ARI cannot delete now keeps its record, to be tried again next time.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable

from ..store.away import STORE_ERRORS
from ..store.recordings import RecordingStore
from ..tasks import leader_sweep
from .files import FileUnavailable, RecordingFiles

log = logging.getLogger(__name__)

SWEEP_EVERY = 3600.0


class RetentionSweep:
    def __init__(self, store: RecordingStore, files: RecordingFiles, days: int, *,
                 leading: Callable[[], bool], clock: Callable[[], float] = time.time) -> None:
        self.store, self.files, self.days = store, files, days
        self.clock = clock
        self.counts: Counter[str] = Counter()   # deleted, kept-under-review, failed
        self.worker = leader_sweep(self.sweep, SWEEP_EVERY, name="recording retention",
                                   log=log, leading=leading)

    async def sweep(self) -> int:
        """Delete what is past its keeping; returns how many went."""
        cutoff = self.clock() - self.days * 86400
        try:
            names = await self.store.names_between(0, cutoff)
            records = await self.store.many(names)
        except STORE_ERRORS as exc:
            log.warning("recording retention: store unavailable, sweep skipped: %s", exc)
            return 0
        deleted = 0
        for record in records:
            if record.under_review:
                self.counts["kept-under-review"] += 1
                continue
            try:
                await self.files.delete(record.name)
                await self.store.delete(record.name)
            except (FileUnavailable, *STORE_ERRORS) as exc:
                self.counts["failed"] += 1
                log.warning("recording retention: %s not deleted now: %s", record.name, exc)
                continue
            deleted += 1
            self.counts["deleted"] += 1
        if deleted:
            log.info("recording retention: %d recording(s) older than %d days deleted",
                     deleted, self.days)
        return deleted
