"""Leadership among controller replicas: a lease in Redis.

One replica leads: it holds the ARI application (Asterisk gives an
application to one websocket at a time) and it dials callbacks. The others
stand by, follow AMI (their board stays warm) and answer the API. The lease
lives 5 s and is renewed every second; a leader that dies is replaced within
about 6 s, during which the dialplan's own fallback routes callers.

While Redis cannot be reached the current role is kept: a leader keeps
routing live callers (the dialer stops by itself, having no store), and a
standby does not start a second holder of the application.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable

from redis.exceptions import RedisError

from .logs import Repeats
from .tasks import Worker

log = logging.getLogger(__name__)

KEY = "datadesk:leader"


class Leadership:
    def __init__(self, take: Callable[[str, str, float], Awaitable[bool]],
                 resign: Callable[[str, str], Awaitable[None]], *, ttl: float = 5.0,
                 tick: float = 1.0) -> None:
        self._take, self._resign = take, resign
        self.ttl, self.tick = ttl, tick
        self.owner = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.is_leader = False
        self._hooks: list[Callable[[bool], Awaitable[None] | None]] = []
        self._worker = Worker(self._run, "leadership")
        self._repeats = Repeats()

    def on_change(self, hook: Callable[[bool], Awaitable[None] | None]) -> None:
        self._hooks.append(hook)

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()
        if self.is_leader:
            try:
                await self._resign(KEY, self.owner)
            except (RedisError, OSError):
                pass  # the lease runs out by itself

    async def _run(self) -> None:
        while True:
            try:
                leading = await self._take(KEY, self.owner, self.ttl)
                if self._repeats.clear():
                    log.info("leadership: Redis answers again")
            except (RedisError, OSError) as exc:
                leading = self.is_leader  # keep the role while Redis is away
                role = "leader" if leading else "standby"
                if self._repeats.due(f"{type(exc).__name__}: {exc}; staying {role}"):
                    if self._repeats.again:
                        log.warning("leadership: Redis still unreachable; staying %s%s", role,
                                    self._repeats.told())
                    else:
                        log.warning("leadership: Redis unreachable (%s); staying %s", exc, role)
            if leading != self.is_leader:
                self.is_leader = leading
                log.info("leadership: %s (%s)", "leading: holding the ARI application and "
                         "dialling" if leading else "standing by", self.owner)
                for hook in self._hooks:
                    result = hook(leading)
                    if asyncio.iscoroutine(result):
                        await result
            await asyncio.sleep(self.tick)
