"""Recordings made while no controller listened, indexed when one leads again.

Without a controller the dialplan still records (``desk-fallback`` goes
through the same ``desk-queue``), but no one hears its UserEvents. The
leader lists ARI's stored recordings when it takes the lead (``QualityParts.leading``)
and every 5 minutes; a recording name the index does not hold is read and indexed with
what the file and its name say: a live call's name is the digits of the
recorded channel's unique id (``<epoch>.<sequence>``, the epoch ten digits
until 2286), so the record still names the call it served and when it
began; a callback's name names its callback and attempt. Seat, topic and
rating were only in the events: they stay empty, and ``source`` says so.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable

from ..ports import AriError
from ..store.away import STORE_ERRORS
from ..store.recordings import RecordingStore
from ..tasks import leader_sweep
from .files import FileMissing, FileUnavailable, RecordingFiles, digest, wav_facts
from .names import NAME

log = logging.getLogger(__name__)

EVERY = 300.0
_LIVE = re.compile(r"desk-(?P<epoch>[0-9]{10})(?P<seq>[0-9]{1,22})")
_CALLBACK = re.compile(r"desk-(?P<cb>cb[0-9]{1,12})-(?P<attempt>[0-9]{1,12})")


def from_name(name: str) -> dict[str, str]:
    """What a recording's name says of the call it served."""
    live = _LIVE.fullmatch(name)
    if live:
        return {"kind": "live", "call": f"{live['epoch']}.{live['seq']}",
                "started_hint": live["epoch"]}
    callback = _CALLBACK.fullmatch(name)
    if callback:
        return {"kind": "callback", "callback": callback["cb"], "attempt": callback["attempt"]}
    return {}


class RecordingReconcile:
    def __init__(self, ari, store: RecordingStore, files: RecordingFiles, *,
                 leading: Callable[[], bool]) -> None:
        self.ari, self.store, self.files = ari, store, files
        self.clock: Callable[[], float] = time.time
        self.worker = leader_sweep(self.reconcile, EVERY, name="recording reconcile", log=log,
                                   leading=leading)
        self.indexed = 0

    async def reconcile(self) -> int:
        """Index every stored desk recording the index lacks; returns how many."""
        try:
            listed = await self.ari.request("GET", "/recordings/stored") or []
        except AriError as exc:
            if exc.status == 500 and "Allocation failed" in str(exc):
                # Asterisk 22's answer while <astspooldir>/recording does not
                # exist yet (a PBX that never recorded): nothing to index.
                log.debug("recording reconcile: no recording directory on the PBX yet")
                return 0
            log.warning("recording reconcile: ARI stored recordings unavailable: %s", exc)
            return 0
        except (OSError, asyncio.TimeoutError) as exc:
            log.warning("recording reconcile: ARI stored recordings unavailable: %s", exc)
            return 0
        names = [r.get("name", "") for r in listed if isinstance(r, dict)
                 and r.get("format") == "wav" and NAME.fullmatch(str(r.get("name", "")))]
        try:   # one round trip for the whole listing, not one per file
            known = {record.name for record in await self.store.many(names)}
        except STORE_ERRORS as exc:
            log.warning("recording reconcile: store unavailable, skipped: %s", exc)
            return 0
        added = 0
        for name in [n for n in names if n not in known]:
            try:
                data = await self.files.read(name)
                facts = wav_facts(data)
                if not facts.closed:
                    continue            # still being written: a call in progress
                said = from_name(name)
                at = float(said.pop("started_hint", 0) or self.clock())
                await self.store.started(name, {**said, "source": "reconciled"}, at)
                await self.store.stored(name, seconds=facts.seconds, size=len(data),
                                        sha256=await digest(data), ended=self.clock())
            except (FileMissing, FileUnavailable, ValueError, *STORE_ERRORS) as exc:
                log.warning("recording reconcile: %s not indexed now: %s", name, exc)
                continue
            added += 1
        if added:
            self.indexed += added
            log.info("recording reconcile: %d recording(s) made without a controller indexed",
                     added)
        return added
