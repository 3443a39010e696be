"""Callbacks in Redis.

Keys (``P`` = ``datadesk:cb``):

- ``P:{id}``         hash: the callback (fields of ``CALLBACK_FIELDS``)
- ``P:number:{n}``   id of the one unfinished callback for number ``n``
- ``P:waiting``      zset id -> due time: open, not due yet
- ``P:ready``        zset id -> deadline: due, earliest deadline first
- ``P:open``         zset id -> deadline: every unfinished callback (board, SLA)
- ``P:leases``       zset id -> lease end: claimed by a dialer
- ``P:log:{id}``     stream: every event of the callback, append-only
- ``P:seq``          the id counter

A finished callback (done, failed, cancelled, served) keeps its hash and its
stream for ``retention`` seconds (a history or report reads them), then
Redis expires both; an unfinished one never expires.

Every change is one Lua script, so a crash between two writes cannot leave
a callback half moved. A claim increments ``fence``; completing or requeuing
needs that fence, so a dialer whose lease ran out cannot overwrite the work
of the one that took over. Times are Unix seconds. Durability is Redis's:
with ``appendonly yes`` and ``appendfsync everysec`` up to about one second
of writes can be lost in a power cut (``always`` loses none, slower).
"""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio as redis

from .redis_ import once_more

P = "datadesk:cb"

CALLBACK_FIELDS = ("id", "number", "topic", "note", "agent", "source", "status", "created",
                   "updated", "deadline", "due", "attempts", "tries", "fence", "lease_until",
                   "owner", "reason", "last_outcome", "first_dialled", "answered_at", "sla")

_CREATE = """
local P, number, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local topic, note, agent, source = ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local deadline, due = tonumber(ARGV[8]), tonumber(ARGV[9])
local existing = redis.call('GET', P .. ':number:' .. number)
if existing then
  local key = P .. ':' .. existing
  local status = redis.call('HGET', key, 'status')
  if status == 'open' or status == 'dialling' then
    if topic ~= '' then redis.call('HSET', key, 'topic', topic) end
    if note ~= '' then redis.call('HSET', key, 'note', note) end
    redis.call('HSET', key, 'updated', now)
    redis.call('XADD', P .. ':log:' .. existing, '*', 'event', 'updated', 'at', now,
               'topic', topic, 'note', note, 'agent', agent, 'source', source)
    return {existing, 'updated'}
  end
end
local id = 'cb' .. redis.call('INCR', P .. ':seq')
local key = P .. ':' .. id
redis.call('HSET', key, 'id', id, 'number', number, 'topic', topic, 'note', note,
           'agent', agent, 'source', source, 'status', 'open', 'created', now, 'updated', now,
           'deadline', deadline, 'due', due, 'attempts', 0, 'tries', 0, 'fence', 0,
           'reason', 'waiting')
redis.call('SET', P .. ':number:' .. number, id)
if due <= now then
  redis.call('ZADD', P .. ':ready', deadline, id)
else
  redis.call('ZADD', P .. ':waiting', due, id)
end
redis.call('ZADD', P .. ':open', deadline, id)
redis.call('XADD', P .. ':log:' .. id, '*', 'event', 'created', 'at', now, 'number', number,
           'topic', topic, 'note', note, 'agent', agent, 'source', source,
           'deadline', deadline, 'due', due)
return {id, 'created'}
"""

# Moves up to ``limit`` callbacks that have fallen due from waiting to ready
# (scored by deadline), in four commands whatever the batch: a claim then
# takes the earliest deadline among everything due once waiting holds no
# due callback (the dialer promotes until then before it claims).
_PROMOTE_FN = """
local function promote(P, now, limit)
  local due = redis.call('ZRANGEBYSCORE', P .. ':waiting', '-inf', now, 'LIMIT', 0, limit)
  if #due == 0 then return 0 end
  local deadlines = redis.call('ZMSCORE', P .. ':open', unpack(due))
  local args = {}
  for i, id in ipairs(due) do
    args[2 * i - 1] = deadlines[i] or redis.call('HGET', P .. ':' .. id, 'deadline')
    args[2 * i] = id
  end
  redis.call('ZADD', P .. ':ready', unpack(args))
  redis.call('ZREM', P .. ':waiting', unpack(due))
  return #due
end
"""

# ARGV: P, now, limit. Returns how many due callbacks still wait.
_PROMOTE = _PROMOTE_FN + """
local P, now = ARGV[1], tonumber(ARGV[2])
promote(P, now, tonumber(ARGV[3]))
return redis.call('ZCOUNT', P .. ':waiting', '-inf', now)
"""

_CLAIM = _PROMOTE_FN + """
local P, now, lease, owner = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
promote(P, now, 100)
local first = redis.call('ZPOPMIN', P .. ':ready')
if #first == 0 then return false end
local id = first[1]
local key = P .. ':' .. id
local fence = redis.call('HINCRBY', key, 'fence', 1)
redis.call('HINCRBY', key, 'tries', 1)
redis.call('HSET', key, 'status', 'dialling', 'lease_until', now + lease, 'owner', owner,
           'updated', now)
redis.call('ZADD', P .. ':leases', now + lease, id)
redis.call('XADD', P .. ':log:' .. id, '*', 'event', 'claimed', 'at', now, 'fence', fence,
           'owner', owner)
return redis.call('HGETALL', key)
"""

# Shared by the scripts that end a callback: out of every queue, and the
# number free for a new request. ``keep`` runs last (after the stream's
# entry for this ending, so that a stream it creates gets the TTL too).
_RETIRE = """
local function keep(P, key, id, retention)
  redis.call('EXPIRE', key, retention)
  redis.call('EXPIRE', P .. ':log:' .. id, retention)
end
local function retire(P, key, id)
  redis.call('ZREM', P .. ':waiting', id)
  redis.call('ZREM', P .. ':ready', id)
  redis.call('ZREM', P .. ':open', id)
  redis.call('ZREM', P .. ':leases', id)
  local number = redis.call('HGET', key, 'number')
  if redis.call('GET', P .. ':number:' .. number) == id then
    redis.call('DEL', P .. ':number:' .. number)
  end
end
"""

_FINISH = _RETIRE + """
-- ARGV: P, id, fence, now, status, due, reason, outcome, reached(0/1), sla,
--       first_dialled, answered_at, event, retention
local P, id, fence, now = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local status, due, reason, outcome = ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8]
local key = P .. ':' .. id
if redis.call('EXISTS', key) == 0 then return 'missing' end
if redis.call('HGET', key, 'fence') ~= fence then return 'stale' end
redis.call('ZREM', P .. ':leases', id)
if ARGV[9] == '1' then redis.call('HINCRBY', key, 'attempts', 1) end
if ARGV[10] ~= '' then redis.call('HSET', key, 'sla', ARGV[10]) end
if ARGV[11] ~= '' and not redis.call('HGET', key, 'first_dialled') then
  redis.call('HSET', key, 'first_dialled', ARGV[11])
end
if ARGV[12] ~= '' then redis.call('HSET', key, 'answered_at', ARGV[12]) end
if outcome ~= '' then redis.call('HSET', key, 'last_outcome', outcome) end
local current = redis.call('HGET', key, 'status')
if current ~= 'open' and current ~= 'dialling' then
  -- cancelled or served while the attempt ran: keep that ending
  status = current
end
redis.call('HSET', key, 'status', status, 'reason', reason, 'updated', now, 'owner', '',
           'lease_until', '')
if status == 'open' then
  redis.call('HSET', key, 'due', due)
  if due <= now then
    redis.call('ZADD', P .. ':ready', redis.call('HGET', key, 'deadline'), id)
  else
    redis.call('ZADD', P .. ':waiting', due, id)
  end
else
  retire(P, key, id)
end
redis.call('XADD', P .. ':log:' .. id, '*', 'event', ARGV[13], 'at', now, 'fence', fence,
           'outcome', outcome, 'status', status, 'reason', reason)
if status ~= 'open' then keep(P, key, id, tonumber(ARGV[14])) end
return status
"""

_END = _RETIRE + """
-- Cancel or mark served, unless already finished.
-- ARGV: P, id, now, status, reason, only_open, retention
local P, id, now, status, reason = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], ARGV[5]
local key = P .. ':' .. id
local current = redis.call('HGET', key, 'status')
if not current then return 'missing' end
if current ~= 'open' and current ~= 'dialling' then return 'ended:' .. current end
if ARGV[6] == '1' and current ~= 'open' then return 'busy:' .. current end
redis.call('HSET', key, 'status', status, 'reason', reason, 'updated', now)
retire(P, key, id)
redis.call('XADD', P .. ':log:' .. id, '*', 'event', status, 'at', now, 'reason', reason)
keep(P, key, id, tonumber(ARGV[7]))
return status
"""

_EXTEND = """
local P, id, fence, until_ = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local key = P .. ':' .. id
if redis.call('HGET', key, 'fence') ~= fence then return 0 end
if redis.call('HGET', key, 'status') ~= 'dialling' then return 0 end
redis.call('HSET', key, 'lease_until', until_)
redis.call('ZADD', P .. ':leases', until_, id)
return 1
"""

def _decode(flat: list[Any] | None) -> dict[str, str] | None:
    if not flat:
        return None
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


RETENTION = 90 * 86400  # seconds a finished callback is kept: [callbacks] retention


class CallbackStore:
    def __init__(self, client: redis.Redis, prefix: str = P, *,
                 retention: int = RETENTION) -> None:
        """``retention``: seconds a finished callback's hash and stream are kept."""
        if retention < 1:
            raise ValueError("retention must be at least one second")
        self.r = client
        self.p = prefix
        self.retention = int(retention)
        self._create = client.register_script(_CREATE)
        self._claim = client.register_script(_CLAIM)
        self._promote = client.register_script(_PROMOTE)
        self._finish = client.register_script(_FINISH)
        self._end = client.register_script(_END)
        self._extend = client.register_script(_EXTEND)

    async def create(self, *, number: str, topic: str, note: str, agent: str, source: str,
                     deadline: float, due: float, now: float | None = None) -> tuple[str, bool]:
        """Store a request; returns (id, created). A number with an unfinished
        callback gets that callback updated instead (created=False)."""
        now = time.time() if now is None else now
        cb_id, what = await once_more(lambda: self._create(args=[
            self.p, number, now, topic, note, agent, source, deadline, due]))
        return cb_id, what == "created"

    async def get(self, cb_id: str) -> dict[str, str] | None:
        data = await once_more(lambda: self.r.hgetall(f"{self.p}:{cb_id}"))
        return data or None

    async def history(self, cb_id: str) -> list[dict[str, str]]:
        entries = await once_more(lambda: self.r.xrange(f"{self.p}:log:{cb_id}"))
        return [{"seq": entry_id, **fields} for entry_id, fields in entries]

    async def open_ids(self, start: int = 0, stop: int = -1) -> list[str]:
        """Unfinished callbacks, earliest deadline first."""
        return await once_more(lambda: self.r.zrange(f"{self.p}:open", start, stop))

    async def open_callbacks(self, limit: int = 100, offset: int = 0) -> list[dict[str, str]]:
        ids = await self.open_ids(offset, offset + limit - 1)
        async with self.r.pipeline(transaction=False) as pipe:
            for cb_id in ids:
                pipe.hgetall(f"{self.p}:{cb_id}")
            rows = await pipe.execute()
        return [r for r in rows if r]

    async def count_open(self) -> int:
        return await once_more(lambda: self.r.zcard(f"{self.p}:open"))

    async def count_overdue(self, now: float | None = None) -> int:
        """Unfinished callbacks whose deadline (Unix s) is before ``now``."""
        at = time.time() if now is None else now
        return await once_more(lambda: self.r.zcount(f"{self.p}:open", "-inf", f"({at}"))

    async def promote(self, now: float | None = None, limit: int = 250) -> int:
        """Make up to ``limit`` callbacks that have fallen due claimable;
        returns how many due ones still wait (call again until 0). A call of
        500 held Redis about 4 ms with a million open: hence 250."""
        now = time.time() if now is None else now
        return int(await self._promote(args=[self.p, now, limit]))

    async def claim(self, *, lease: float, owner: str, now: float | None = None
                    ) -> dict[str, str] | None:
        """Take the due callback with the earliest deadline, under a lease.

        Exact once ``promote`` has returned 0 for this ``now``; on its own a
        claim promotes at most 100 due callbacks first."""
        now = time.time() if now is None else now
        return _decode(await self._claim(args=[self.p, now, lease, owner]))

    async def finish(self, cb_id: str, fence: str, *, status: str, due: float = 0,
                     reason: str = "", outcome: str = "", reached: bool = False,
                     sla: str = "", first_dialled: float | None = None,
                     answered_at: float | None = None, event: str = "attempt",
                     now: float | None = None) -> str:
        """Record the end of an attempt (or of a lease) under its fence.

        Returns the stored status, ``stale`` if another claim superseded this
        one, or ``missing``.
        """
        now = time.time() if now is None else now
        return await self._finish(args=[
            self.p, cb_id, fence, now, status, due, reason, outcome, "1" if reached else "0",
            sla, "" if first_dialled is None else first_dialled,
            "" if answered_at is None else answered_at, event, self.retention])

    async def extend(self, cb_id: str, fence: str, until: float) -> bool:
        return bool(await self._extend(args=[self.p, cb_id, fence, until]))

    async def expired_leases(self, now: float | None = None, limit: int = 100) -> list[str]:
        now = time.time() if now is None else now
        return await self.r.zrangebyscore(f"{self.p}:leases", "-inf", now, start=0, num=limit)

    async def cancel(self, cb_id: str, reason: str = "cancelled", now: float | None = None) -> str:
        """``cancelled``, ``missing``, or ``ended:<status>`` for a finished callback.

        A callback being dialled is cancelled too: the attempt in progress
        completes, but no further attempt follows.
        """
        now = time.time() if now is None else now
        return await once_more(lambda: self._end(args=[self.p, cb_id, now, "cancelled",
                                                        reason, "0", self.retention]))

    async def serve_number(self, number: str, reason: str, now: float | None = None) -> str | None:
        """The customer reached the desk live: close their open callback as served.

        A callback being dialled right now is left alone (that call serves it).
        """
        cb_id = await self.r.get(f"{self.p}:number:{number}")
        if cb_id is None:
            return None
        now = time.time() if now is None else now
        status = await self._end(args=[self.p, cb_id, now, "served", reason, "1",
                                       self.retention])
        return cb_id if status == "served" else None
