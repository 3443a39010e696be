"""The leader lease as the leader's own clock sees it.

Redis holds the lease for ``ttl`` seconds from each renewal (a renewal that
waited for a replica, ``store/durable.py``, so a promoted replica holds it
at least as long). While Redis cannot be reached the leader keeps its role
(``leader.py``), but only while the last renewal Redis confirmed still
covers it: past that, another replica may take the lease on a promoted
master, and two leaders at once are what must never be. So a renewal is
counted from the moment it was sent, with a margin, and a call still
running when the lease runs out ends as "not leading".

Only with Sentinel: a single Redis has no second copy that another replica
could reach while this one cannot, so there the leader keeps its role
through a Redis outage (live callers stay routed by the controller).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from redis.exceptions import RedisError

Take = Callable[[str, str, float], Awaitable[bool]]


class _Redis(Protocol):
    sentinels: tuple[str, ...]


class LeaseClock:
    """Wraps the lease's ``take(key, owner, ttl) -> bool`` for ``Leadership``.

    Returns what Redis said; raises (so the role is kept) only while a
    confirmed renewal still covers this replica; otherwise returns False.
    ``margin``: the share of ``ttl`` not counted on (clock rates, the
    failover's own delay).
    """

    def __init__(self, take: Take, *, margin: float = 0.2,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._take, self.margin, self._clock = take, margin, clock
        self.valid_until = 0.0  # monotonic: end of the last confirmed lease

    @classmethod
    def around(cls, take: Take, redis: _Redis) -> Take:
        """``take`` on the lease clock when ``[redis]`` has sentinels, else as is."""
        return cls(take) if redis.sentinels else take

    async def __call__(self, key: str, owner: str, ttl: float) -> bool:
        sent = self._clock()
        left = self.valid_until - sent
        try:
            if left > 0:  # never leading past the lease, even while the call hangs
                held = await asyncio.wait_for(self._take(key, owner, ttl), left)
            else:
                held = await self._take(key, owner, ttl)
        except (RedisError, OSError, asyncio.TimeoutError):
            if self._clock() < self.valid_until:
                raise
            self.valid_until = 0.0
            return False
        self.valid_until = sent + ttl * (1 - self.margin) if held else 0.0
        return held
