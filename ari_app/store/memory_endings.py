"""The in-memory callback store's endings and leases (``memory.py``'s
``MemoryCallbackStore`` is built on this): a claim's refusal, a lease kept
or dropped, a callback served or cancelled, each with the semantics of its
Lua script (``callback_lua.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..desk.callback import Cancel, Cancellation, Refused, Status


OPEN = ("open", "dialling")


def _num(x: float) -> str:
    """A Lua number as Redis stores it: integers without a decimal point."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


class MemoryEndings:
    """What ``MemoryCallbackStore`` keeps (hashes, sorted sets as dicts, the
    log) and the endings; ``_retire`` and ``_xadd`` are the store's."""

    clock: Callable[[], float]
    hashes: dict[str, dict[str, str]]
    numbers: dict[str, str]
    waiting: dict[str, float]
    ready: dict[str, float]
    open: dict[str, float]
    leases: dict[str, float]

    def _xadd(self, cb_id: str, **fields: Any) -> None:
        raise NotImplementedError

    def _retire(self, key: dict[str, str], cb_id: str) -> None:
        raise NotImplementedError

    @staticmethod
    def _range(zset: dict[str, float], upto: float, limit: int) -> list[str]:
        return [i for s, i in sorted((s, i) for i, s in zset.items() if s <= upto)][:limit]

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
