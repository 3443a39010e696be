"""One retry for Redis operations that are safe to repeat."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from redis.exceptions import ConnectionError

log = logging.getLogger(__name__)

T = TypeVar("T")


async def once_more(call: Callable[[], Awaitable[T]]) -> T:
    """``call()``, and once more if the connection dropped under it.

    After a Redis restart the pool still holds connections to the old
    process; the first command sent on one fails although the new server
    never saw it. Only for operations that are safe to repeat: reads, and
    scripts whose second run changes nothing more (a create finds the
    callback it made; a cancel finds it ended).
    """
    try:
        return await call()
    except ConnectionError as exc:
        log.info("Redis: connection dropped (%s); trying once more", exc)
        return await call()
