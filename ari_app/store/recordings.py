"""The desk's recordings in Redis: one hash a recording, an index by start.

``datadesk:recording:<name>`` holds what the recording served (``kind``
live or callback; ``call``, the recorded channel's id, which is the transfer
event's ``call``; ``callback`` and ``attempt``), when (``started``: the
recording was set up, ``answered``: its audio starts, ``ended``), who and
what (``seat``, ``topic``, ``language``), the file's facts once it is closed
(``seconds``, ``size``, ``sha256``, ``state``), the customer's ``rating``,
the seat's ``pauses`` and the ``review`` (JSON). ``datadesk:recordings`` is
a sorted set of names by ``started``; ``datadesk:recordings:totals`` holds
``bytes``, the sum of the stored files' sizes (for ``/metrics``). Every play or download is
appended to the stream ``datadesk:recordings:audit``.

Redis is an input: a field that does not parse reads as absent (a number as
0, JSON as empty), never as a crash, and names come back only if they are
recording names (``quality.names``).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as redis

from ..quality.names import NAME

PREFIX = "datadesk:recording:"
INDEX = "datadesk:recordings"
TOTALS = "datadesk:recordings:totals"
AUDIT = "datadesk:recordings:audit"
AUDIT_MAXLEN = 500_000
TEXT_FIELDS = ("name", "kind", "call", "channel", "callback", "attempt", "number", "topic",
               "language", "seat", "state", "rating", "sha256", "source")
NUMBER_FIELDS = ("started", "answered", "ended", "seconds", "size")


def _number(value: str | None) -> float:
    try:
        number = float(value or 0)
    except ValueError:
        return 0.0
    return number if number == number and abs(number) < 1e13 else 0.0  # no NaN, no inf


def _json(value: str | None, kind: type) -> Any:
    try:
        parsed = json.loads(value or "")
    except ValueError:
        return kind()
    return parsed if isinstance(parsed, kind) else kind()


@dataclass
class Recording:
    """One recording as the store holds it."""
    name: str
    kind: str = ""
    call: str = ""
    channel: str = ""
    callback: str = ""
    attempt: str = ""
    number: str = ""
    topic: str = ""
    language: str = ""
    seat: str = ""
    state: str = ""
    rating: str = ""
    sha256: str = ""
    source: str = ""          # "reconciled": indexed from the file alone (no controller then)
    started: float = 0.0
    answered: float = 0.0
    ended: float = 0.0
    seconds: float = 0.0
    size: float = 0.0
    pauses: list[dict[str, Any]] = field(default_factory=list)
    review: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_hash(cls, name: str, raw: dict[str, str]) -> Recording:
        """A record from its hash (unparsable fields read as absent)."""
        texts = {k: str(raw.get(k, "")) for k in TEXT_FIELDS if k != "name"}
        numbers = {k: _number(raw.get(k)) for k in NUMBER_FIELDS}
        return cls(name=name, **texts, **numbers, pauses=_json(raw.get("pauses"), list),
                   review=_json(raw.get("review"), dict))

    @property
    def under_review(self) -> bool:
        """Scored and appealed, with no supervisor's decision yet."""
        return bool(self.review.get("appealed_at")) and not self.review.get("decided_at")


# The writes are Lua scripts: atomic, and within the controller's Redis ACL
# (store/acl.py: the scripts' commands, no new client command).
_STARTED = """
if redis.call('exists', KEYS[1]) == 0 then
  redis.call('hset', KEYS[1], 'started', ARGV[1], 'name', ARGV[2], 'state', 'recording',
             unpack(ARGV, 3))
end
redis.call('zadd', KEYS[2], 'NX', ARGV[1], ARGV[2])
"""
_UPDATE = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
redis.call('hset', KEYS[1], unpack(ARGV))
return 1
"""
# Byte counts move by whole numbers written with %d (Lua would write -0,
# which Redis does not take as an integer), and not at all by zero.
_STORED = """
if redis.call('exists', KEYS[1]) == 0 then return 0 end
local before = math.floor(tonumber(redis.call('hget', KEYS[1], 'size')) or 0)
redis.call('hset', KEYS[1], unpack(ARGV))
local change = math.floor(tonumber(ARGV[4]) or 0) - before
if change ~= 0 then redis.call('hincrby', KEYS[2], 'bytes', string.format('%d', change)) end
return 1
"""
_DELETE = """
local size = math.floor(tonumber(redis.call('hget', KEYS[1], 'size')) or 0)
redis.call('del', KEYS[1])
redis.call('zrem', KEYS[2], ARGV[1])
if size ~= 0 then redis.call('hincrby', KEYS[3], 'bytes', string.format('%d', -size)) end
"""


def _pairs(fields: dict[str, str]) -> list[str]:
    return [item for pair in fields.items() for item in pair]


class RecordingStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client
        self._started = client.register_script(_STARTED)
        self._update = client.register_script(_UPDATE)
        self._stored = client.register_script(_STORED)
        self._delete = client.register_script(_DELETE)

    async def started(self, name: str, fields: dict[str, str], at: float) -> None:
        """A recording was set up (the first report wins; a repeat changes nothing)."""
        await self._started(keys=[PREFIX + name, INDEX],
                            args=[f"{at:.3f}", name, *_pairs(fields)])

    async def update(self, name: str, fields: dict[str, str]) -> bool:
        """Set ``fields`` on an existing recording; False if there is none."""
        return bool(await self._update(keys=[PREFIX + name], args=_pairs(fields)))

    async def stored(self, name: str, *, seconds: float, size: int, sha256: str,
                     ended: float) -> None:
        """The file is closed: its facts, and the store's byte count."""
        await self._stored(keys=[PREFIX + name, TOTALS], args=[
            "seconds", f"{seconds:.3f}", "size", str(size), "sha256", sha256,
            "ended", f"{ended:.3f}", "state", "stored"])

    async def get(self, name: str) -> Recording | None:
        raw = await self.client.hgetall(PREFIX + name)
        return Recording.from_hash(name, raw) if raw else None

    async def many(self, names: list[str]) -> list[Recording]:
        async with self.client.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(PREFIX + name)
            rows = await pipe.execute()
        return [Recording.from_hash(n, r) for n, r in zip(names, rows) if r]

    async def names_between(self, start: float, end: float, limit: int = 5000) -> list[str]:
        """Recording names started in [start, end), oldest first (recording names only)."""
        found = await self.client.zrangebyscore(INDEX, start, f"({end}", start=0, num=limit)
        return [n for n in found if NAME.fullmatch(n)]

    async def delete(self, name: str) -> None:
        """The record, its index entry and its bytes in the total."""
        await self._delete(keys=[PREFIX + name, INDEX, TOTALS], args=[name])

    async def totals(self) -> tuple[int, int]:
        """(recordings indexed, bytes of their stored files)."""
        count = await self.client.zcard(INDEX)
        raw = await self.client.hgetall(TOTALS)
        return int(count), max(0, int(_number(raw.get("bytes"))))

    async def audit(self, name: str, action: str, who: str, role: str) -> None:
        """One play or download, with the token's label and role."""
        await self.client.xadd(AUDIT, {"recording": name, "action": action, "who": who,
                                       "role": role, "at": f"{time.time():.3f}"},
                               maxlen=AUDIT_MAXLEN, approximate=True)

    async def audit_entries(self, since: float = 0.0, count: int = 1000) -> list[dict[str, str]]:
        """Audit entries from ``since`` (epoch seconds) on, oldest first."""
        rows = await self.client.xrange(AUDIT, min=f"{int(since * 1000)}-0", count=count)
        return [dict(fields) for _id, fields in rows]
