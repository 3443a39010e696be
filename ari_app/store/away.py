"""What "the store is away" means, said once for every reader above the store.

A Redis command that fails because the server is down, hung, restarting or
refusing (redis-py's ``RedisError``), a socket that failed under it
(``OSError``) or a wait that ran out (``asyncio.TimeoutError``): the HTTP
face answers 503 for these, the wallboard and ``/metrics`` leave the
store's figures out rather than show a wrong zero. Anything else is a bug
and is never mistaken for an outage.
"""

from __future__ import annotations

import asyncio

from redis.exceptions import RedisError

STORE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, asyncio.TimeoutError)
