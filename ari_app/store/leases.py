"""The leader lease in Redis (``leader.Leadership`` takes and renews it):
one key holding the owner's name, with a TTL."""

from __future__ import annotations

import redis.asyncio as redis

_TAKE = """
-- ARGV: key, owner, ttl_ms. Take the lease if free, renew it if ours.
local holder = redis.call('GET', ARGV[1])
if not holder then
  redis.call('SET', ARGV[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
if holder == ARGV[2] then
  redis.call('PEXPIRE', ARGV[1], ARGV[3])
  return 1
end
return 0
"""

_RESIGN = """
if redis.call('GET', ARGV[1]) == ARGV[2] then return redis.call('DEL', ARGV[1]) end
return 0
"""


class LeaderLease:
    def __init__(self, client: redis.Redis) -> None:
        self._take = client.register_script(_TAKE)
        self._resign = client.register_script(_RESIGN)

    async def take(self, key: str, owner: str, ttl: float) -> bool:
        """True if ``owner`` holds ``key`` for ``ttl`` seconds from now."""
        return bool(await self._take(args=[key, owner, int(ttl * 1000)]))

    async def resign(self, key: str, owner: str) -> None:
        """Give the lease up, if ``owner`` holds it."""
        await self._resign(args=[key, owner])
