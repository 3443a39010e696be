"""Rate limits against toll fraud and floods, in Redis (fixed windows).

A window counter is ``INCR`` + ``EXPIRE`` on a key per (what, subject,
window start): cheap, shared by every replica, and gone by itself.
"""

from __future__ import annotations

import time

import redis.asyncio as redis

from .retry import once_more

_HIT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RateLimits:
    def __init__(self, client: redis.Redis) -> None:
        self._hit = client.register_script(_HIT)

    async def allow(self, what: str, subject: str, limit: int, window: int,
                    now: float | None = None) -> tuple[bool, int]:
        """Count one more ``what`` for ``subject``; (allowed, seconds until the window ends)."""
        if limit <= 0:
            return True, 0
        now = time.time() if now is None else now
        start = int(now // window) * window
        # Repeating a hit whose reply was lost counts it twice: a stricter
        # limit for one window, never a looser one.
        count = await once_more(lambda: self._hit(
            keys=[f"datadesk:limit:{what}:{subject}:{start}"], args=[window + 5]))
        return count <= limit, int(start + window - now) + 1
