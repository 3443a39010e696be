"""The confirmations' outbox in Redis (``ari_app/notify`` writes and
delivers it). A confirmation waits here until the gateway accepts it, so a
gateway that is down loses nothing; it is queued once per callback, event
and promise, so a retried write never sends it twice.

Keys (``P`` = ``datadesk:notify``):

- ``P:due``          zset entry id -> when its next try is due (Unix s)
- ``P:e:{id}``       hash: ``body`` (the JSON exactly as signed and sent),
  ``event``, ``callback``, ``tries``, ``created``, ``last`` (the last failure)
- ``P:refused``      zset entry id -> when the gateway refused it (a 4xx that
  is no reason to try again): kept ``keep`` seconds for the operator
- ``P:once:{key}``   a confirmation of that key was queued (kept ``keep`` s)
- ``P:seq``          the id counter

Each change is one Lua script.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as redis

from .retry import once_more

P = "datadesk:notify"

ENQUEUE = """
local P, once, body, now, keep = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
if not redis.call('SET', P .. ':once:' .. once, now, 'NX', 'EX', keep) then return '' end
local id = 'n' .. redis.call('INCR', P .. ':seq')
redis.call('HSET', P .. ':e:' .. id, 'body', body, 'event', ARGV[6], 'callback', ARGV[7],
           'tries', 0, 'created', now)
redis.call('ZADD', P .. ':due', now, id)
return id
"""

# ARGV: P, id. The entry is gone: delivered.
DONE = """
local P, id = ARGV[1], ARGV[2]
redis.call('DEL', P .. ':e:' .. id)
return redis.call('ZREM', P .. ':due', id)
"""

# ARGV: P, id, when, why. The next try at ``when``; 0 if the entry is gone.
RETRY = """
local P, id = ARGV[1], ARGV[2]
local key = P .. ':e:' .. id
if redis.call('EXISTS', key) == 0 then
  redis.call('ZREM', P .. ':due', id)
  return 0
end
redis.call('HINCRBY', key, 'tries', 1)
redis.call('HSET', key, 'last', ARGV[4])
redis.call('ZADD', P .. ':due', tonumber(ARGV[3]), id)
return 1
"""

# ARGV: P, id, now, why, keep. The gateway refused it: no more tries, kept aside.
REFUSE = """
local P, id, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local key = P .. ':e:' .. id
redis.call('ZREM', P .. ':due', id)
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'refused', ARGV[4])
redis.call('EXPIRE', key, tonumber(ARGV[5]))
redis.call('ZADD', P .. ':refused', now, id)
return 1
"""


@dataclass(frozen=True)
class Entry:
    """A confirmation waiting in the outbox."""
    id: str
    body: str
    event: str
    callback: str
    tries: int


def entry_of(entry_id: str, record: dict[str, str]) -> Entry | None:
    """The entry a stored hash holds (None: nothing, or no body to send)."""
    if not record or not record.get("body"):
        return None
    tries = record.get("tries", "")
    return Entry(entry_id, record["body"], record.get("event", ""), record.get("callback", ""),
                 int(tries) if tries.isascii() and tries.isdigit() and len(tries) < 9 else 0)


async def entries(ids: list[str], records: list[dict[str, str]],
                  drop: Callable[[str], Awaitable[None]]) -> list[Entry]:
    """The entries of ``ids`` from their stored ``records`` (in the same
    order); an id with nothing to send behind it is dropped (``drop``),
    never sent."""
    out = []
    for entry_id, record in zip(ids, records, strict=True):
        entry = entry_of(entry_id, record)
        if entry is None:
            await drop(entry_id)
        else:
            out.append(entry)
    return out


class Outbox:
    def __init__(self, client: redis.Redis, prefix: str = P) -> None:
        self.r, self.p = client, prefix
        self._enqueue = client.register_script(ENQUEUE)
        self._done = client.register_script(DONE)
        self._retry = client.register_script(RETRY)
        self._refuse = client.register_script(REFUSE)

    async def enqueue(self, once: str, body: str, *, event: str, callback: str, now: float,
                      keep: int) -> str | None:
        """Queue ``body`` due now; None when one of key ``once`` was queued
        in the last ``keep`` seconds (it is not queued again)."""
        said = await once_more(lambda: self._enqueue(args=[
            self.p, once, body, now, keep, event, callback]))
        return said or None

    async def due(self, now: float, limit: int = 20) -> list[Entry]:
        """Entries whose try is due at ``now``, oldest due first; an id whose
        hash is gone is dropped."""
        ids = await once_more(lambda: self.r.zrangebyscore(f"{self.p}:due", "-inf", now,
                                                           start=0, num=limit))

        async def read() -> list[dict[str, str]]:     # all of them in one round trip
            async with self.r.pipeline(transaction=False) as pipe:
                for entry_id in ids:
                    pipe.hgetall(f"{self.p}:e:{entry_id}")
                return await pipe.execute()
        return await entries(ids, await once_more(read), self.done)

    async def done(self, entry_id: str) -> None:
        await once_more(lambda: self._done(args=[self.p, entry_id]))

    async def retry(self, entry_id: str, when: float, why: str) -> None:
        await once_more(lambda: self._retry(args=[self.p, entry_id, when, why]))

    async def refuse(self, entry_id: str, now: float, why: str, keep: int) -> None:
        await once_more(lambda: self._refuse(args=[self.p, entry_id, now, why, keep]))

    async def waiting(self) -> int:
        """Confirmations not yet delivered."""
        return await once_more(lambda: self.r.zcard(f"{self.p}:due"))
