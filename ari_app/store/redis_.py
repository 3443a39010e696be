"""The Redis connection and the desk's event log.

redis-py reconnects by itself on the next command; a watcher pings every few
seconds so that health and logs tell an operator when Redis is away. Writes
that only record (the event log) never hold up a caller: they time out fast
and are logged when lost.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

EVENTS = "datadesk:events"
EVENTS_MAXLEN = 200_000


class RedisStore:
    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        self.url = url
        self.client = redis.Redis.from_url(url, socket_timeout=timeout,
                                           socket_connect_timeout=timeout,
                                           health_check_interval=10, decode_responses=True)
        self.up: bool | None = None  # None: not checked yet
        self._watch: asyncio.Task | None = None

    def start(self) -> None:
        if self._watch is None:
            self._watch = asyncio.create_task(self._watcher(), name="redis-watch")

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            try:
                await self._watch
            except asyncio.CancelledError:
                pass
            self._watch = None
        await self.client.aclose()

    async def _watcher(self) -> None:
        while True:
            try:
                await self.client.ping()
                if self.up is not True:
                    log.info("Redis: connected to %s", self._where())
                self.up = True
            except (RedisError, OSError) as exc:
                if self.up is not False:
                    log.warning("Redis: unreachable at %s (%s)", self._where(), exc)
                self.up = False
            await asyncio.sleep(2 if not self.up else 5)

    def _where(self) -> str:
        return self.url.split("@")[-1]

    async def record(self, kind: str, fields: dict[str, str]) -> str | None:
        """Append one event to the desk's log; None (and a log line) if Redis is away."""
        entry = {"kind": kind, "at": f"{time.time():.3f}", **fields}
        try:
            return await self.client.xadd(EVENTS, entry, maxlen=EVENTS_MAXLEN, approximate=True)
        except (RedisError, OSError) as exc:
            log.warning("Redis: event %s not recorded (%s): %s", kind, exc, entry)
            return None
