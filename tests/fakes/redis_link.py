"""``FakeRedisLink``: the Redis connection (``store/connection.py``) with no Redis.

Its ``client`` is a real redis-py client aimed at a socket where nothing
listens, so every command fails the way an unreachable Redis fails
(``redis.exceptions.ConnectionError``); ``up`` is whatever the test says.
"""

from __future__ import annotations

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


class FakeRedisLink:
    def __init__(self, *, up: bool | None = True, socket: str = "/nonexistent/redis.sock") -> None:
        self.client = redis.Redis(unix_socket_path=socket, socket_connect_timeout=0.2,
                                  retry=Retry(NoBackoff(), 0), decode_responses=True)
        self.up = up
        self.down_since: float | None = None
        self.url = f"unix://{socket}"
        self.started = self.stopped = 0

    def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1
        await self.client.aclose()
