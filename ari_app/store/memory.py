"""The callback store in memory: the store of the SLA simulation
(``simulation/``: ``datadesk sizing --simulate``, ``bench/sla.py``) and of
the unit tests.

It keeps the semantics of the Lua scripts (``callback_lua.py``) method by
method; ``tests/integration/test_store_contract.py`` runs the same scenarios
against it and a real Redis, so it cannot drift from them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..desk.callback import (Callback, Outcome, Promised, Refused, RetryPolicy, Sla, Stale,
                             Status, Unreadable, claim_refusal)
from ..desk.promise import Room
from ..ports import SlotFull
from .callback_store import promise_args
from .memory_endings import OPEN, MemoryEndings, _num
from .records import callback_of, disagreement, taken


def _arg(x: Any) -> str:
    """An argument as redis-py sends it (floats by repr)."""
    return repr(x) if isinstance(x, float) else str(x)


def _score(value: Any) -> float:
    """``SCORE_FN`` (store/callback_lua.py): a deadline, or 0 when it is not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    return 0.0 if number != number else number


class MemoryCallbackStore(MemoryEndings):
    """In-memory ``CallbackStore``: the same async methods the dialer and
    ``CallbacksService`` use, with the semantics of its Lua scripts (each
    method says which).

    Hashes hold strings as Redis does; sorted sets are dicts id -> score,
    ranged in (score, id) order as Redis orders equal scores.
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.hashes: dict[str, dict[str, str]] = {}
        self.numbers: dict[str, str] = {}
        self.waiting: dict[str, float] = {}
        self.ready: dict[str, float] = {}
        self.open: dict[str, float] = {}
        self.leases: dict[str, float] = {}
        self.log: dict[str, list[dict[str, str]]] = {}
        self.marks: dict[str, str] = {}
        self.seq = 0

    def _xadd(self, cb_id: str, **fields: Any) -> None:
        self.log.setdefault(cb_id, []).append({k: _arg(v) for k, v in fields.items()})

    def _retire(self, key: dict[str, str], cb_id: str) -> None:
        """``RETIRE`` (store/callback_lua.py): out of every queue; the number free for a new request."""
        for zset in (self.waiting, self.ready, self.open, self.leases):
            zset.pop(cb_id, None)
        if key.get("number") is not None and self.numbers.get(key["number"]) == cb_id:
            del self.numbers[key["number"]]

    async def create(self, *, number: str, topic: str, note: str, agent: str, source: str,
                     deadline: float, due: float, now: float | None = None,
                     language: str = "", promised: Promised = Promised(),
                     room: Room | None = None) -> tuple[str, bool]:
        """``CREATE`` (store/callback_lua.py): one unfinished callback per number
        (updated, not doubled; a booking moves an open one); a booking whose
        grid slot holds ``room.capacity`` waiting callbacks (the number's own
        aside) raises ``SlotFull``."""
        now = self.clock() if now is None else now
        existing = self.numbers.get(number)
        if room is not None and sum(room.start <= d < room.end for i, d in self.waiting.items()
                                    if i != existing) >= room.capacity:
            raise SlotFull("the slot has no room left")
        told = dict(zip(("booking", "promise", "promise_from", "promise_by"),
                        promise_args(promised)))
        if existing is not None and self.hashes[existing]["status"] in OPEN:
            self._update(existing, now, topic=topic, note=note, language=language)
            if told["booking"] and self.hashes[existing]["status"] == "open":
                self._book(existing, now, deadline, due, told)
            return existing, False
        self.seq += 1
        cb_id = f"cb{self.seq}"
        self.hashes[cb_id] = {
            "id": cb_id, "number": number, "topic": topic, "note": note, "agent": agent,
            "source": source, "status": "open", "created": _num(now), "updated": _num(now),
            "deadline": _num(deadline), "due": _num(due), "attempts": "0", "tries": "0",
            "fence": "0", "reason": "waiting", "language": language, **told}
        self.numbers[number] = cb_id
        self._queue(cb_id, now, deadline, due)
        self._xadd(cb_id, event="created", at=now, deadline=deadline, due=due)
        return cb_id, True

    def _update(self, cb_id: str, now: float, **fields: str) -> None:
        """A repeat request: what it says replaces what is stored."""
        key = self.hashes[cb_id]
        key.update({k: v for k, v in fields.items() if v}, updated=_num(now))
        self._xadd(cb_id, event="updated", at=now, topic=fields["topic"], note=fields["note"])

    def _book(self, cb_id: str, now: float, deadline: float, due: float,
              told: dict[str, str]) -> None:
        """An open callback moved to a booked slot."""
        self.hashes[cb_id].update(deadline=_num(deadline), due=_num(due), **told)
        self.ready.pop(cb_id, None)
        self.waiting.pop(cb_id, None)
        self._queue(cb_id, now, deadline, due)
        self._xadd(cb_id, event="booked", at=now, deadline=deadline, due=due)

    def _queue(self, cb_id: str, now: float, deadline: float, due: float) -> None:
        if due <= now:  # already due: straight to ready, as CREATE does
            self.ready[cb_id] = float(deadline)
        else:
            self.waiting[cb_id] = float(due)
        self.open[cb_id] = float(deadline)

    async def record(self, cb_id: str, status: Status = Status.DIALLING
                     ) -> Callback | Unreadable | None:
        """As ``CallbackStore.record``."""
        key = self.hashes.get(cb_id)
        if not key or key.get("status") != status.value:
            return None
        return taken(cb_id, key, status)

    async def get(self, cb_id: str) -> Callback | None:
        key = self.hashes.get(cb_id)
        return callback_of(key, cb_id) if key else None

    async def open_for(self, number: str) -> Callback | None:
        """As ``CallbackStore.open_for``: the number's unfinished callback."""
        cb = await self.get(self.numbers[number]) if number in self.numbers else None
        return cb if cb is not None and not cb.status.final else None

    async def imported(self, source_key: str) -> bool:
        return source_key in self.marks

    async def mark_imported(self, source_key: str, cb_id: str, ttl: int) -> None:
        self.marks[source_key] = cb_id

    async def history(self, cb_id: str) -> list[dict[str, str]]:
        """``XRANGE`` of the callback's log, with a sequence as Redis gives ids."""
        return [{"seq": f"{n}-0", **entry} for n, entry in enumerate(self.log.get(cb_id, []), 1)]

    async def open_callbacks(self, limit: int = 100, offset: int = 0) -> list[Callback]:
        """Unfinished callbacks, earliest deadline first (the ``open`` sorted set)."""
        ids = [i for _, i in sorted((s, i) for i, s in self.open.items())]
        rows = [callback_of(self.hashes[i], i) for i in ids[offset:offset + limit]]
        return [cb for cb in rows if cb is not None]

    async def open_due_by(self, deadline: float, limit: int = 500) -> list[Callback]:
        """As ``CallbackStore.open_due_by``: unfinished, deadline at most ``deadline``."""
        ids = sorted((i for i, d in self.open.items() if d <= deadline),
                     key=lambda i: (self.open[i], i))[:limit]
        found = [await self.get(i) for i in ids]
        return [cb for cb in found if cb is not None]

    async def count_open(self) -> int:
        return len(self.open)

    async def count_ahead(self, deadline: float) -> int:
        """``ZCOUNT open -inf deadline``."""
        return sum(d <= deadline for d in self.open.values())

    async def count_booked(self, spans: Sequence[tuple[float, float]]) -> list[int]:
        """``ZCOUNT waiting start (end`` for each span."""
        return [sum(start <= d < end for d in self.waiting.values()) for start, end in spans]

    def _promote(self, now: float, limit: int) -> None:
        for cb_id in self._range(self.waiting, now, limit):
            del self.waiting[cb_id]
            self.ready[cb_id] = self.open[cb_id] if cb_id in self.open else \
                _score(self.hashes.get(cb_id, {}).get("deadline"))

    async def earliest_ready(self) -> Callback | None:
        """As ``CallbackStore.earliest_ready``: the ready callback a claim takes next."""
        if not self.ready:
            return None
        return await self.get(min(self.ready, key=lambda i: (self.ready[i], i)))

    async def promote(self, now: float | None = None, limit: int = 250) -> int:
        """``PROMOTE`` (store/callback_lua.py): up to ``limit`` due callbacks move to ready; how many
        due ones still wait."""
        now = self.clock() if now is None else now
        self._promote(now, limit)
        return len(self._range(self.waiting, now, len(self.waiting) + 1))

    async def claim(self, *, lease: float, owner: str, now: float | None = None,
                    policy: RetryPolicy = RetryPolicy()
                    ) -> Callback | Unreadable | Refused | None:
        """``CLAIM`` (store/callback_lua.py): up to 100 due callbacks move to ready; the earliest
        deadline is taken under a lease, its fence and tries incremented; one whose record
        disagrees with its key, or whose tries are used up, ends failed instead (``Refused``)."""
        now = self.clock() if now is None else now
        self._promote(now, 100)
        if not self.ready:
            return None
        _deadline, cb_id = min((s, i) for i, s in self.ready.items())
        del self.ready[cb_id]
        key = self.hashes.get(cb_id)
        why, reason = "record-mismatch", disagreement(cb_id, key)
        if reason is None:
            why, reason = "used-up", claim_refusal(int(key["attempts"]), int(key["tries"]),
                                                   policy)
        if reason is not None:
            return self._refuse(cb_id, why, reason, now)
        key["fence"] = str(int(key["fence"]) + 1)
        key["tries"] = str(int(key["tries"]) + 1)
        key.update(status="dialling", lease_until=_num(now + lease), owner=owner,
                   updated=_num(now))
        self.leases[cb_id] = now + lease
        self._xadd(cb_id, event="claimed", at=now, fence=key["fence"], owner=owner)
        return taken(cb_id, key, Status.DIALLING)

    async def finish(self, cb_id: str, fence: str, *, status: Status, due: float = 0,
                     reason: str = "", outcome: Outcome | None = None, reached: bool = False,
                     sla: Sla | None = None, first_dialled: float | None = None,
                     answered_at: float | None = None, event: str = "attempt",
                     now: float | None = None) -> Status | Stale:
        """``FINISH`` (store/callback_lua.py): a repeat of the fence's ending is
        answered, not recorded again; refused under a stale fence; counts the attempt, sets
        ``sla`` and ``first_dialled`` once; keeps a cancel or serve that came
        meanwhile; requeues (``open``) or retires."""
        now = self.clock() if now is None else now
        status = Status(status).value
        outcome = outcome.value if outcome else ""
        sla = sla.value if sla else ""
        key = self.hashes.get(cb_id)
        if key is None:
            return Stale.MISSING
        if key["fence"] != str(fence):
            return Stale.STALE
        if key.get("ended_fence") == str(fence):
            return Status(key["status"])
        self.leases.pop(cb_id, None)
        if reached:
            key["attempts"] = str(int(key["attempts"]) + 1)
        if sla:
            key["sla"] = sla
        if first_dialled is not None and "first_dialled" not in key:
            key["first_dialled"] = _arg(first_dialled)
        if answered_at is not None:
            key["answered_at"] = _arg(answered_at)
        if outcome:
            key["last_outcome"] = outcome
        if key["status"] not in OPEN:
            status = key["status"]
        key.update(status=status, reason=reason, updated=_num(now), owner="", lease_until="",
                   ended_fence=str(fence))
        if status == "open":
            key["due"] = _num(due)
            if due <= now:
                self.ready[cb_id] = _score(key.get("deadline"))
            else:
                self.waiting[cb_id] = float(due)
        else:
            self._retire(key, cb_id)
        self._xadd(cb_id, event=event, at=now, fence=fence, outcome=outcome, status=status)
        return Status(status)
