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
from ..tasks import Background
from ..ports import AriApplication, AriError, quote

log = logging.getLogger(__name__)

DEVICE_STATE = {
    DeskStatus.FREE: "NOT_INUSE",
    DeskStatus.BUSY: "BUSY",
    DeskStatus.CLOSED: "UNAVAILABLE",
}


class DeskLamp(Background):
    def __init__(self, ari: AriApplication, board: Board, calendar: ServiceCalendar, *,
                 device: str,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__("desk-lamp")
        self.ari, self.board, self.calendar = ari, board, calendar
        self.device, self.clock = device, clock
        self.status: DeskStatus | None = None
        self._published: DeskStatus | None = None
        ari.on_connected(self._on_ari_connected)

    def refresh(self, *_args: object) -> None:
        """Recompute soon (called on every board change)."""
        self.wake()

    async def _on_ari_connected(self, _ari: AriApplication) -> None:
        self._published = None  # Asterisk may have restarted: publish again
        self.wake()

    async def _loop(self) -> None:
        while True:
            await self.pause(1.0)
            if not self.board.synced:
                continue
            self.status = desk_status(self.board, self.calendar, self.clock())
            if self.status is not self._published and self.ari.connected.is_set():
                await self._publish(self.status)

    async def _publish(self, status: DeskStatus) -> None:
        try:
            await self.ari.request("PUT", f"/deviceStates/{quote(self.device)}",
                                   params={"deviceState": DEVICE_STATE[status]})
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            log.warning("desk lamp: cannot set %s to %s: %s", self.device, status.value, exc)
            return
        log.info("desk lamp: %s (%s)", status.value, DEVICE_STATE[status])
        self._published = status
