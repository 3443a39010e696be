"""Fakes of the ports (``ari_app/dialer/ports.py``) for unit tests and the
SLA benchmark's simulated desk: the callback store, in memory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ari_app.desk.callback import (Callback, Cancel, Cancellation, Refused, RetryPolicy, Stale,
                                   Status, claim_refusal)
from ari_app.store.records import callback_of, disagreement


OPEN = ("open", "dialling")


def _num(x: float) -> str:
    """A Lua number as Redis stores it: integers without a decimal point."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


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


class FakeCallbackStore:
    """In-memory ``CallbackStore``: the same async methods the dialer and
    ``CallbacksService`` use, with the semantics of its Lua scripts (each
    method says which); ``tests/integration/test_store_contract.py`` runs
    the same scenarios against this and the real store.

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

    @staticmethod
    def _range(zset: dict[str, float], upto: float, limit: int) -> list[str]:
        return [i for s, i in sorted((s, i) for i, s in zset.items() if s <= upto)][:limit]

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
                     language: str = "") -> tuple[str, bool]:
        """``CREATE`` (store/callback_lua.py): one unfinished callback per number (updated, not doubled)."""
        now = self.clock() if now is None else now
        existing = self.numbers.get(number)
        if existing is not None and self.hashes[existing]["status"] in OPEN:
            key = self.hashes[existing]
            if topic:
                key["topic"] = topic
            if note:
                key["note"] = note
            if language:
                key["language"] = language
            key["updated"] = _num(now)
            self._xadd(existing, event="updated", at=now, topic=topic, note=note)
            return existing, False
        self.seq += 1
        cb_id = f"cb{self.seq}"
        self.hashes[cb_id] = {
            "id": cb_id, "number": number, "topic": topic, "note": note, "agent": agent,
            "source": source, "status": "open", "created": _num(now), "updated": _num(now),
            "deadline": _num(deadline), "due": _num(due), "attempts": "0", "tries": "0",
            "fence": "0", "reason": "waiting", "language": language}
        self.numbers[number] = cb_id
        if due <= now:  # already due: straight to ready, as CREATE does
            self.ready[cb_id] = float(deadline)
        else:
            self.waiting[cb_id] = float(due)
        self.open[cb_id] = float(deadline)
        self._xadd(cb_id, event="created", at=now, deadline=deadline, due=due)
        return cb_id, True

    async def record(self, cb_id: str) -> dict[str, str] | None:
        key = self.hashes.get(cb_id)
        return dict(key) if key else None

    async def get(self, cb_id: str) -> Callback | None:
        key = self.hashes.get(cb_id)
        return callback_of(key, cb_id) if key else None

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
                    policy: RetryPolicy = RetryPolicy()) -> dict[str, str] | Refused | None:
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
        return {**key, "id": cb_id}

    def _refuse(self, cb_id: str, why: str, reason: str, now: float) -> Refused:
        """CLAIM's refusal: the record (if any) ends failed, out of every queue."""
        key = self.hashes.get(cb_id)
        if key is None:
            for zset in (self.waiting, self.ready, self.open, self.leases):
                zset.pop(cb_id, None)
            return Refused(cb_id, why, reason)
        key.update(status="failed", reason=reason, last_outcome="not-placed", updated=_num(now),
                   owner="", lease_until="")
        self._retire(key, cb_id)
        self._xadd(cb_id, event="not-placed", at=now, outcome="not-placed", status="failed",
                   reason=reason)
        return Refused(cb_id, why, reason)

    async def forget_lease(self, cb_id: str) -> bool:
        """``FORGET_LEASE``: the entry goes unless its callback is being dialled."""
        if self.hashes.get(cb_id, {}).get("status") == "dialling":
            return False
        return self.leases.pop(cb_id, None) is not None

    async def finish(self, cb_id: str, fence: str, *, status: str, due: float = 0,
                     reason: str = "", outcome: str = "", reached: bool = False,
                     sla: str = "", first_dialled: float | None = None,
                     answered_at: float | None = None, event: str = "attempt",
                     now: float | None = None) -> Status | Stale:
        """``FINISH`` (store/callback_lua.py): a repeat of the fence's ending is
        answered, not recorded again; refused under a stale fence; counts the attempt, sets
        ``sla`` and ``first_dialled`` once; keeps a cancel or serve that came
        meanwhile; requeues (``open``) or retires."""
        now = self.clock() if now is None else now
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

    async def extend(self, cb_id: str, fence: str, until: float) -> bool:
        """``EXTEND`` (store/callback_lua.py): only under the current fence, only while dialling."""
        key = self.hashes.get(cb_id)
        if key is None or key["fence"] != str(fence) or key["status"] != "dialling":
            return False
        key["lease_until"] = _num(until)
        self.leases[cb_id] = until
        return True

    async def expired_leases(self, now: float | None = None, limit: int = 100) -> list[str]:
        """``ZRANGEBYSCORE leases -inf now``."""
        return self._range(self.leases, self.clock() if now is None else now, limit)

    async def serve_number(self, number: str, reason: str, now: float | None = None) -> str | None:
        """``END`` (store/callback_lua.py) with only_open: an open callback of ``number`` ends ``served``;
        one being dialled is left alone."""
        cb_id = self.numbers.get(number)
        if cb_id is None:
            return None
        key = self.hashes[cb_id]
        if key["status"] != "open":
            return None
        now = self.clock() if now is None else now
        key.update(status="served", reason=reason, updated=_num(now))
        self._retire(key, cb_id)
        self._xadd(cb_id, event="served", at=now, reason=reason)
        return cb_id

    async def cancel(self, cb_id: str, reason: str = "cancelled",
                     now: float | None = None) -> Cancellation:
        """``END`` without only_open: open or dialling ends ``cancelled``."""
        key = self.hashes.get(cb_id)
        if key is None:
            return Cancellation(Cancel.MISSING)
        if key["status"] not in OPEN:
            return Cancellation(Cancel.ENDED, Status(key["status"]))
        now = self.clock() if now is None else now
        key.update(status="cancelled", reason=reason, updated=_num(now))
        self._retire(key, cb_id)
        self._xadd(cb_id, event="cancelled", at=now, reason=reason)
        return Cancellation(Cancel.CANCELLED)
