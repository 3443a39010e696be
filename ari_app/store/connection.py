"""The Redis connection: one client for every store, and whether it answers.

redis-py reconnects by itself on the next command; a watcher pings every few
seconds so that health and logs tell an operator when Redis is away.
"""

from __future__ import annotations

import asyncio
import inspect
import logging

import redis.asyncio as redis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import AuthenticationError, RedisError

from ..tasks import Worker

log = logging.getLogger(__name__)

# redis-py sends CLIENT SETINFO on every new connection unless told not to;
# it is not in the controller's ACL (store/acl.py). redis-py 8 spells it
# driver_info=None, 5-7 lib_name=None.
NO_SETINFO: dict = ({"driver_info": None} if "driver_info" in
                    inspect.signature(AbstractConnection.__init__).parameters
                    else {"lib_name": None, "lib_version": None})


class RedisStore:
    def __init__(self, url: str, *, timeout: float = 2.0, username: str = "",
                 password: str = "") -> None:
        """``username``/``password``: the ACL user to log in as (AUTH on every
        new connection); credentials in the URL win over them."""
        self.url = url
        # A pooled connection idle for over a second is checked with a PING
        # (and reopened) before use: after a Redis restart the pool still
        # holds connections to the old process, and a command sent on one
        # fails ("Connection closed by server"). Commands themselves are not
        # retried: a script whose reply was lost may have run.
        self.client = redis.Redis.from_url(url, socket_timeout=timeout,
                                           socket_connect_timeout=timeout,
                                           health_check_interval=1, decode_responses=True,
                                           username=username or None,
                                           password=password or None, **NO_SETINFO)
        self.up: bool | None = None  # None: not checked yet
        self._watch = Worker(self._watcher, "redis-watch")

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
                self.up = True
            except AuthenticationError as exc:
                if self.up is not False:
                    log.error("Redis: %s", self.refusal(exc))
                self.up = False
            except (RedisError, OSError) as exc:
                if self.up is not False:
                    log.warning("Redis: %s", self.refusal(exc))
                self.up = False
            await asyncio.sleep(2 if not self.up else 5)

    def _where(self) -> str:
        return self.url.split("@")[-1]

    def refusal(self, exc: BaseException) -> str:
        """What an operator should read when Redis does not answer."""
        if isinstance(exc, AuthenticationError):
            return f"Redis at {self._where()} refused the controller's login ({exc}): " \
                   "check [redis] username and DATADESK_REDIS_PASSWORD against Redis's ACL"
        return f"unreachable at {self._where()} ({exc}): check [redis] url and that " \
               "Redis runs"
