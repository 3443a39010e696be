"""The confirmations' outbox in memory, for the unit tests: the semantics of
``outbox.py``'s scripts method by method (``tests/integration/
test_store_contract.py`` runs the same scenario against both)."""

from __future__ import annotations

from .outbox import Entry, entries


class MemoryOutbox:
    def __init__(self) -> None:
        self.entries: dict[str, dict[str, str]] = {}
        self.due_at: dict[str, float] = {}
        self.refused: dict[str, float] = {}
        self.once: set[str] = set()
        self.seq = 0

    async def enqueue(self, once: str, body: str, *, event: str, callback: str, now: float,
                      keep: int) -> str | None:
        if once in self.once:
            return None
        self.once.add(once)
        self.seq += 1
        entry_id = f"n{self.seq}"
        self.entries[entry_id] = {"body": body, "event": event, "callback": callback,
                                  "tries": "0", "created": repr(now)}
        self.due_at[entry_id] = now
        return entry_id

    async def due(self, now: float, limit: int = 20) -> list[Entry]:
        ids = [i for _, i in sorted((t, i) for i, t in self.due_at.items() if t <= now)][:limit]
        return await entries(ids, [self.entries.get(i, {}) for i in ids], self.done)

    async def done(self, entry_id: str) -> None:
        self.entries.pop(entry_id, None)
        self.due_at.pop(entry_id, None)

    async def retry(self, entry_id: str, when: float, why: str) -> None:
        if entry_id not in self.entries:
            self.due_at.pop(entry_id, None)
            return
        entry = self.entries[entry_id]
        entry["tries"] = str(int(entry["tries"]) + 1)
        entry["last"] = why
        self.due_at[entry_id] = when

    async def refuse(self, entry_id: str, now: float, why: str, keep: int) -> None:
        self.due_at.pop(entry_id, None)
        if entry_id in self.entries:
            self.entries[entry_id]["refused"] = why
            self.refused[entry_id] = now

    async def waiting(self) -> int:
        return len(self.due_at)
