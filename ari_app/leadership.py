"""Leadership among controller replicas: a lease in Redis, and the parts
that run only while this replica holds it.

One replica leads: it holds the ARI application (Asterisk gives an
application to one websocket at a time), dials callbacks, imports the AstDB
spool, counts the desk's shared figures and raises SLA-risk alerts. The
others stand by, follow AMI (their board stays warm) and answer the API.
The lease (``store/leases.py``) lives 5 s and is renewed every second; a
leader that dies is replaced within about 6 s, during which the dialplan's
own fallback routes callers.

The role's change starts and stops the leader-only parts: each is given as
an async context (``while_leading``), entered when the lease is taken and
left when it is lost or the controller stops, in the reverse order (the
shape of aiohttp's background tasks: create, yield, cancel, await). No part
asks whether it leads.

While Redis cannot be reached the current role is kept: a leader keeps
routing live callers, and a standby does not start a second holder of the
application. With Sentinel the leader keeps it only while the last renewal
Redis confirmed still covers it (``LeaseClock``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack
from typing import Protocol

from redis.exceptions import RedisError

from .logs import Repeats
from .tasks import Worker

log = logging.getLogger(__name__)

KEY = "datadesk:leader"

Take = Callable[[str, str, float], Awaitable[bool]]
# A leader-only part: called when the lease is taken, its context is left when it is lost.
Part = Callable[[], AbstractAsyncContextManager[object]]


class _Redis(Protocol):
    sentinels: tuple[str, ...]


class LeaseClock:
    """The leader lease as the leader's own clock sees it: wraps the lease's
    ``take(key, owner, ttl) -> bool``.

    Redis holds the lease for ``ttl`` seconds from each renewal (a renewal
    that waited for a replica, ``store/durable.py``, so a promoted replica
    holds it at least as long). Past the last renewal Redis confirmed,
    another replica may take the lease on a promoted master, and two leaders
    at once are what must never be. So a renewal is counted from the moment
    it was sent, less ``margin`` of ``ttl`` (clock rates, the failover's own
    delay); a call still running when the lease runs out ends as "not
    leading". Returns what Redis said; raises (so the role is kept) only
    while a confirmed renewal still covers this replica; otherwise returns
    False. Only with Sentinel: a single Redis has no second copy another
    replica could reach while this one cannot.
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


class Leadership:
    def __init__(self, take: Take, resign: Callable[[str, str], Awaitable[None]], *,
                 ttl: float = 5.0, tick: float = 1.0) -> None:
        """``take``/``resign``: the lease's (``store.leases.LeaderLease``,
        ``take`` on a ``LeaseClock`` with Sentinel); ``ttl`` and ``tick`` in
        seconds."""
        self._take, self._resign = take, resign
        self.ttl, self.tick = ttl, tick
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.is_leader = False
        self._parts: list[tuple[str, Part]] = []
        self._running: AsyncExitStack | None = None   # the parts entered, while leading
        self._worker = Worker(self._run, "leadership")
        self._repeats = Repeats()

    def while_leading(self, name: str, part: Part) -> None:
        """Run ``part()``'s context only while this replica leads (parts are
        entered in the order given, left in the reverse one)."""
        self._parts.append((name, part))

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        """Stop renewing; leave the leader-only parts and give the lease up."""
        await self._worker.stop()
        if self.is_leader:
            await self._become(False)
            try:
                await self._resign(KEY, self.owner)
            except (RedisError, OSError):
                pass  # the lease runs out by itself

    async def _run(self) -> None:
        while True:
            await self.renew()
            await asyncio.sleep(self.tick)

    async def renew(self) -> None:
        """One round: take or renew the lease, and follow the role it gives."""
        try:
            leading = await self._take(KEY, self.owner, self.ttl)
            if self._repeats.clear():
                log.info("leadership: Redis answers again")
        except (RedisError, OSError) as exc:
            leading = self.is_leader  # keep the role while Redis is away
            self._unreachable(exc)
        if leading != self.is_leader:
            await self._become(leading)

    def _unreachable(self, exc: Exception) -> None:
        role = "leader" if self.is_leader else "standby"
        if self._repeats.due(f"{type(exc).__name__}: {exc}; staying {role}"):
            if self._repeats.again:
                log.warning("leadership: Redis still unreachable; staying %s%s", role,
                            self._repeats.told())
            else:
                log.warning("leadership: Redis unreachable (%s); staying %s", exc, role)

    async def _become(self, leading: bool) -> None:
        self.is_leader = leading
        log.info("leadership: %s (%s)", "leading: holding the ARI application and dialling"
                 if leading else "standing by", self.owner)
        if leading:
            self._running = AsyncExitStack()
            for name, part in self._parts:
                try:
                    await self._running.enter_async_context(part())
                except Exception:  # one part's failure must not keep the others down
                    log.exception("leadership: %s did not start", name)
        elif self._running is not None:
            running, self._running = self._running, None
            try:
                await running.aclose()
            except Exception:
                log.exception("leadership: a leader-only part did not stop cleanly")
