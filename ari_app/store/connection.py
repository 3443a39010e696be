"""The Redis connection: one client for every store, and whether it answers.

redis-py reconnects by itself on the next command; a watcher pings every few
seconds so that health and logs tell an operator when Redis is away. With
Sentinel (``[redis] sentinels``) the client asks the sentinels where the
master is on every new connection, so it follows a failover by itself; its
writes wait for replicas (``store/durable.py``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time

from redis.asyncio.connection import AbstractConnection
from redis.asyncio.sentinel import Sentinel
from redis.exceptions import AuthenticationError, RedisError

from ..logs import cause
from ..settings.domain import build_replication
from ..settings.schema import RedisSettings
from ..tasks import Worker
from .durable import DurableRedis, NotDurable, Replication

log = logging.getLogger(__name__)

# redis-py sends CLIENT SETINFO on every new connection unless told not to;
# it is not in the controller's ACL (store/acl.py). redis-py 8 spells it
# driver_info=None, 5-7 lib_name=None.
NO_SETINFO: dict = ({"driver_info": None} if "driver_info" in
                    inspect.signature(AbstractConnection.__init__).parameters
                    else {"lib_name": None, "lib_version": None})


class RedisStore:
    def __init__(self, url: str, *, timeout: float = 2.0, username: str = "",
                 password: str = "", replication: Replication | None = None) -> None:
        """``username``/``password``: the ACL user to log in as (AUTH on every
        new connection); credentials in the URL win over them.
        ``replication``: sentinels to find the master through (the URL is
        then unused) and replicas each write waits for."""
        self.url = url
        self.replication = replication or Replication()
        # A pooled connection idle for over a second is checked with a PING
        # before use, and after an outage the watcher closes the idle ones:
        # they may lead to the old process. redis-py repeats nothing: a
        # script whose reply was lost may have run, so only what is safe to
        # say twice is said once more (store/retry.py).
        self.client = self._client(timeout, username or None, password or None)
        self.client.wait_replicas = self.replication.replicas
        self.client.wait_ms = self.replication.wait_ms
        self.up: bool | None = None  # None: not checked yet
        self.down_since: float | None = None  # wall time the watcher first missed it
        self._watch = Worker(self._watcher, "redis-watch")

    @classmethod
    def from_settings(cls, s: RedisSettings) -> RedisStore:
        """The store ``[redis]`` describes (checked by ``load_settings``)."""
        return cls(s.url, username=s.username, password=s.password,
                   replication=build_replication(s))

    def _client(self, timeout: float, username: str | None, password: str | None
                ) -> DurableRedis:
        options = dict(socket_timeout=timeout, socket_connect_timeout=timeout,
                       health_check_interval=1, decode_responses=True,
                       username=username, password=password, **NO_SETINFO)
        rep = self.replication
        if not rep.sentinels:
            return DurableRedis.from_url(self.url, **options)
        # The same user logs in to the sentinels (discovery only there, acl.py).
        sentinel = Sentinel(list(rep.sentinels), sentinel_kwargs=dict(
            socket_timeout=timeout, socket_connect_timeout=timeout, username=username,
            password=password, **NO_SETINFO), **options)
        return sentinel.master_for(rep.master_name, redis_class=DurableRedis)

    def start(self) -> None:
        self._watch.start()

    async def stop(self) -> None:
        await self._watch.stop()
        await self.client.aclose()

    async def _watcher(self) -> None:
        while True:
            try:
                await self.client.ping()
                if self.up is not True:
                    log.info("Redis: connected to %s", self._where())
                if self.up is False:
                    await self._drop_idle_connections()
                self.up, self.down_since = True, None
            except AuthenticationError as exc:
                if self.up is not False:
                    log.error("Redis: %s", self.refusal(exc))
                self._down()
            except (RedisError, OSError) as exc:
                if self.up is not False:
                    log.warning("Redis: %s", self.refusal(exc))
                self._down()
            await asyncio.sleep(2 if not self.up else 5)

    def _down(self) -> None:
        if self.up is not False:
            self.down_since = time.time()
        self.up = False

    async def _drop_idle_connections(self) -> None:
        """Back after an outage: the pool's idle connections may lead to the
        old process (a restarted Redis, a demoted master). Close them, so
        that the next commands open fresh ones instead of failing once each."""
        try:
            await self.client.connection_pool.disconnect(inuse_connections=False)
        except (RedisError, OSError) as exc:
            log.info("Redis: old connections not closed (%s); each is reopened on "
                     "first use", exc)

    def _where(self) -> str:
        rep = self.replication
        if rep.sentinels:
            return f"master {rep.master_name!r} of sentinels " + \
                ",".join(f"{h}:{p}" for h, p in rep.sentinels)
        return self.url.split("@")[-1]

    def refusal(self, exc: BaseException) -> str:
        """What an operator should read when Redis does not answer."""
        if isinstance(exc, AuthenticationError):
            return f"Redis at {self._where()} refused the controller's login ({exc}): " \
                   "check [redis] username and DATADESK_REDIS_PASSWORD against Redis's ACL"
        if isinstance(exc, NotDurable):
            return f"{exc} at {self._where()}: check that the replica runs and " \
                   "replicates ([redis] wait_replicas)"
        return f"unreachable at {self._where()} ({cause(exc)}): check [redis] url (or " \
               "sentinels, master_name) and that Redis runs"
