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
from collections.abc import Sequence
from typing import Any

import redis.asyncio as redis

from ..desk.callback import (Callback, Cancel, Cancellation, Outcome, Promised, Refused,
                             RetryPolicy, Sla, Stale, Status, Unreadable)
from ..desk.promise import Room
from ..ports import SlotFull
from .callback_lua import CLAIM, CREATE, END, EXTEND, FINISH, FORGET_LEASE, PROMOTE
from .records import callback_of, taken
from .retry import once_more

P = "datadesk:cb"

CALLBACK_FIELDS = ("id", "number", "topic", "note", "agent", "source", "status", "created",
                   "updated", "deadline", "due", "attempts", "tries", "fence", "lease_until",
                   "owner", "reason", "last_outcome", "first_dialled", "answered_at", "sla",
                   "language", "ended_fence", "booking", "promise", "promise_from",
                   "promise_by")

def _decode(flat: list[Any] | None) -> dict[str, str] | None:
    if not flat:
        return None
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


def _readable(ids: list[str], rows: list[dict[str, str]]) -> list[Callback]:
    """The callbacks of hashes read under ``ids``, unreadable ones left out."""
    found = (callback_of(row, cb_id) for cb_id, row in zip(ids, rows) if row)
    return [cb for cb in found if cb is not None]


def promise_args(promised: Promised) -> list[str]:
    """CREATE's arguments for what the customer was told (as Redis stores them)."""
    def when(value: float | None) -> str:
        return "" if value is None else repr(float(value))
    return [promised.booking.value, promised.told.value if promised.told else "",
            when(promised.start), when(promised.end)]


def room_args(room: Room | None) -> list[object]:
    """CREATE's room check (empty: none)."""
    return ["", "", ""] if room is None else [room.start, room.end, room.capacity]


STALE = {s.value for s in Stale}
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
        self._create = client.register_script(CREATE)
        self._claim = client.register_script(CLAIM)
        self._promote = client.register_script(PROMOTE)
        self._finish = client.register_script(FINISH)
        self._end = client.register_script(END)
        self._extend = client.register_script(EXTEND)
        self._forget_lease = client.register_script(FORGET_LEASE)

    async def create(self, *, number: str, topic: str, note: str, agent: str, source: str,
                     deadline: float, due: float, now: float | None = None,
                     language: str = "", promised: Promised = Promised(),
                     room: Room | None = None) -> tuple[str, bool]:
        """Store a request; returns (id, created). A number with an unfinished
        callback gets that callback updated instead (created=False); a
        ``language`` given replaces the stored one (the customer's latest).

        ``promised``: what the customer was told. A booking (``room``
        given) raises ``SlotFull`` when its grid slot already holds
        ``room.capacity`` waiting callbacks (the number's own aside); on a
        number's open callback it moves that callback to the slot (not one
        being dialled: its booking stays as it was)."""
        now = time.time() if now is None else now
        cb_id, what = await once_more(lambda: self._create(args=[
            self.p, number, now, topic, note, agent, source, deadline, due, language,
            *promise_args(promised), *room_args(room)]))
        if what == "full":
            raise SlotFull("the slot has no room left")
        return cb_id, what == "created"

    async def _hash(self, cb_id: str) -> dict[str, str]:
        return await once_more(lambda: self.r.hgetall(f"{self.p}:{cb_id}"))

    async def record(self, cb_id: str, status: Status = Status.DIALLING
                     ) -> Callback | Unreadable | None:
        """The callback under ``cb_id`` as the dialer takes it back when its
        lease ran out: None when there is no record or it is not ``status``
        (nothing to act on); ``Unreadable`` when the record disagrees with
        its key or cannot be read (``records.taken``)."""
        data = await self._hash(cb_id)
        if not data or data.get("status") != status.value:
            return None
        return taken(cb_id, data, status)

    async def get(self, cb_id: str) -> Callback | None:
        """The callback, or None if there is none (or it cannot be read)."""
        data = await self._hash(cb_id)
        return callback_of(data, cb_id) if data else None

    async def open_for(self, number: str) -> Callback | None:
        """The number's unfinished callback (open or being dialled), if any."""
        cb_id = await once_more(lambda: self.r.get(f"{self.p}:number:{number}"))
        cb = await self.get(cb_id) if cb_id else None
        return cb if cb is not None and not cb.status.final else None

    async def imported(self, source_key: str) -> bool:
        """Whether a request from outside the store (an AstDB spool entry) was
        stored already: marked by ``mark_imported`` (kept ``ttl`` seconds)."""
        return bool(await once_more(lambda: self.r.exists(f"{self.p}:imported:{source_key}")))

    async def mark_imported(self, source_key: str, cb_id: str, ttl: int) -> None:
        await once_more(lambda: self.r.set(f"{self.p}:imported:{source_key}", cb_id, ex=ttl))

    async def history(self, cb_id: str) -> list[dict[str, str]]:
        entries = await once_more(lambda: self.r.xrange(f"{self.p}:log:{cb_id}"))
        return [{"seq": entry_id, **fields} for entry_id, fields in entries]

    async def open_ids(self, start: int = 0, stop: int = -1) -> list[str]:
        """Unfinished callbacks, earliest deadline first."""
        return await once_more(lambda: self.r.zrange(f"{self.p}:open", start, stop))

    async def open_callbacks(self, limit: int = 100, offset: int = 0) -> list[Callback]:
        """Unfinished callbacks, earliest deadline first (unreadable ones left out)."""
        ids = await self.open_ids(offset, offset + limit - 1)
        async with self.r.pipeline(transaction=False) as pipe:
            for cb_id in ids:
                pipe.hgetall(f"{self.p}:{cb_id}")
            rows = await pipe.execute()
        return _readable(ids, rows)

    async def open_due_by(self, deadline: float, limit: int = 500) -> list[Callback]:
        """Unfinished callbacks whose deadline (Unix s) is at most ``deadline``,
        earliest first, at most ``limit`` (unreadable ones left out)."""
        ids = await once_more(lambda: self.r.zrangebyscore(f"{self.p}:open", "-inf", deadline,
                                                           start=0, num=limit))
        async with self.r.pipeline(transaction=False) as pipe:
            for cb_id in ids:
                pipe.hgetall(f"{self.p}:{cb_id}")
            rows = await pipe.execute()
        return _readable(ids, rows)

    async def count_open(self) -> int:
        return await once_more(lambda: self.r.zcard(f"{self.p}:open"))

    async def count_ahead(self, deadline: float) -> int:
        """Unfinished callbacks whose deadline (Unix s) is at or before ``deadline``."""
        return await once_more(lambda: self.r.zcount(f"{self.p}:open", "-inf", deadline))

    async def count_booked(self, spans: Sequence[tuple[float, float]]) -> list[int]:
        """Callbacks waiting to fall due in each [start, end) of ``spans``
        (slots' bookings), all in one round trip."""
        async def read() -> list[int]:
            async with self.r.pipeline(transaction=False) as pipe:
                for start, end in spans:
                    pipe.zcount(f"{self.p}:waiting", start, f"({end}")
                return await pipe.execute()
        return await once_more(read)

    async def count_overdue(self, now: float | None = None) -> int:
        """Unfinished callbacks whose deadline (Unix s) is before ``now``."""
        at = time.time() if now is None else now
        return await once_more(lambda: self.r.zcount(f"{self.p}:open", "-inf", f"({at}"))

    async def earliest_ready(self) -> Callback | None:
        """The due callback the next claim takes (earliest deadline), or None;
        exact once ``promote`` has returned 0."""
        ids = await once_more(lambda: self.r.zrange(f"{self.p}:ready", 0, 0))
        return await self.get(ids[0]) if ids else None

    async def promote(self, now: float | None = None, limit: int = 250) -> int:
        """Make up to ``limit`` callbacks that have fallen due claimable;
        returns how many due ones still wait (call again until 0). A call of
        500 held Redis about 4 ms with a million open: hence 250."""
        now = time.time() if now is None else now
        return int(await self._promote(args=[self.p, now, limit]))

    async def claim(self, *, lease: float, owner: str, now: float | None = None,
                    policy: RetryPolicy = RetryPolicy()
                    ) -> Callback | Unreadable | Refused | None:
        """Take the due callback with the earliest deadline, under a lease:
        the callback as claimed (its fence and tries counted), named by its
        key; ``Unreadable`` if a field cannot be read (the dialer ends it
        under this claim's fence). None: nothing is due.

        A due callback whose record the controller cannot have written under
        its key (``records.disagreement``), or whose tries ``policy`` says
        are used up (``claim_refusal``), is ended ``failed`` in the same
        step and comes back as ``Refused``: never dialled, never requeued.
        Exact once ``promote`` has returned 0 for this ``now``; on its own a
        claim promotes at most 100 due callbacks first."""
        now = time.time() if now is None else now
        said = await self._claim(args=[self.p, now, lease, owner, policy.max_attempts,
                                       policy.max_tries, self.retention])
        if not said:
            return None
        if said[0] == "refused":
            return Refused(said[1], said[2], said[3])
        return taken(said[1], _decode(said[2:]) or {}, Status.DIALLING)

    async def forget_lease(self, cb_id: str) -> bool:
        """Drop a lease entry that has no callback being dialled behind it
        (no record, or one that ended); True if it went."""
        return bool(await self._forget_lease(args=[self.p, cb_id]))

    async def finish(self, cb_id: str, fence: str, *, status: Status, due: float = 0,
                     reason: str = "", outcome: Outcome | None = None, reached: bool = False,
                     sla: Sla | None = None, first_dialled: float | None = None,
                     answered_at: float | None = None, event: str = "attempt",
                     now: float | None = None) -> Status | Stale:
        """Record the end of an attempt (or of a lease) under its fence:
        ``status`` (``OPEN`` again, due at ``due``, or a final one),
        ``outcome`` of the attempt, ``reached`` (it counts as an attempt at
        the customer), the ``sla`` verdict and the first dial, set once.

        Returns the stored status, ``Stale.STALE`` if another claim superseded
        this one, or ``Stale.MISSING``.
        """
        now = time.time() if now is None else now
        # Safe to say twice: the script records a fence's ending once.
        stored = await once_more(lambda: self._finish(args=[
            self.p, cb_id, fence, now, Status(status).value, due, reason,
            outcome.value if outcome else "", "1" if reached else "0",
            sla.value if sla else "", "" if first_dialled is None else first_dialled,
            "" if answered_at is None else answered_at, event, self.retention]))
        return Stale(stored) if stored in STALE else Status(stored)

    async def extend(self, cb_id: str, fence: str, until: float) -> bool:
        return bool(await once_more(lambda: self._extend(args=[self.p, cb_id, fence, until])))

    async def expired_leases(self, now: float | None = None, limit: int = 100) -> list[str]:
        now = time.time() if now is None else now
        return await self.r.zrangebyscore(f"{self.p}:leases", "-inf", now, start=0, num=limit)

    async def cancel(self, cb_id: str, reason: str = "cancelled",
                     now: float | None = None) -> Cancellation:
        """Cancelled, missing, or already ended (and how).

        A callback being dialled is cancelled too: the attempt in progress
        completes, but no further attempt follows.
        """
        now = time.time() if now is None else now
        said = await once_more(lambda: self._end(args=[self.p, cb_id, now, "cancelled",
                                                        reason, "0", self.retention]))
        if said.startswith("ended:"):
            return Cancellation(Cancel.ENDED, Status(said.split(":", 1)[1]))
        return Cancellation(Cancel(said))

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
