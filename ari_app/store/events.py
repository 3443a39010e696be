"""The desk's event log: a capped Redis stream of what the controller did.

Writes that only record never hold up a caller: they time out fast (the
client's socket timeout) and are logged when lost.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

EVENTS = "datadesk:events"
EVENTS_MAXLEN = 200_000


class EventLog:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    async def record(self, kind: str, fields: dict[str, str]) -> str | None:
        """Append one event to the desk's log; None (and a log line) if Redis is away."""
        entry = {"kind": kind, "at": f"{time.time():.3f}", **fields}
        try:
            return await self.client.xadd(EVENTS, entry, maxlen=EVENTS_MAXLEN, approximate=True)
        except (RedisError, OSError) as exc:
            log.warning("Redis: event %s not recorded (%s): %s", kind, exc, entry)
            return None
