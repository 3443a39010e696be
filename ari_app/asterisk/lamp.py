"""The desk lamp: the desk's availability as an ARI-controlled device state.

Frontline phones subscribe to the hint of 8600 (``Stasis:desk``) and light a
BLF key: free (a seat is ready), busy (every seat busy, paused or away),
closed (outside opening hours). The lamp is recomputed on every board change
and every second (opening and closing happen on the clock, not on an event),
and published only when it changes, or after ARI reconnects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from ..clock import utcnow
from ..desk.board import Board
from ..desk.calendar import ServiceCalendar
from ..desk.routing import DeskStatus, desk_status
from ..tasks import Worker
from .ari_ import AriClient, AriError
from .ports import AriApplication

log = logging.getLogger(__name__)

DEVICE_STATE = {
    DeskStatus.FREE: "NOT_INUSE",
    DeskStatus.BUSY: "BUSY",
    DeskStatus.CLOSED: "UNAVAILABLE",
}


class DeskLamp:
    def __init__(self, ari: AriApplication, board: Board, calendar: ServiceCalendar, *,
                 device: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.ari = ari
        self.board = board
        self.calendar = calendar
        self.device = device
        self.clock = clock
        self.status: DeskStatus | None = None
        self._published: DeskStatus | None = None
        self._wake = asyncio.Event()
        self._worker = Worker(self._run, "desk-lamp")
        ari.on_connected(self._on_ari_connected)

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    def refresh(self, *_args: object) -> None:
        """Recompute soon (called on every board change)."""
        self._wake.set()

    async def _on_ari_connected(self, _ari: AriApplication) -> None:
        self._published = None  # Asterisk may have restarted: publish again
        self._wake.set()

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), 1.0)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()
            if not self.board.synced:
                continue
            self.status = desk_status(self.board, self.calendar, self.clock())
            if self.status is not self._published and self.ari.connected.is_set():
                await self._publish(self.status)

    async def _publish(self, status: DeskStatus) -> None:
        try:
            await self.ari.request("PUT", f"/deviceStates/{AriClient.quote(self.device)}",
                                   params={"deviceState": DEVICE_STATE[status]})
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            log.warning("desk lamp: cannot set %s to %s: %s", self.device, status.value, exc)
            return
        log.info("desk lamp: %s (%s)", status.value, DEVICE_STATE[status])
        self._published = status
