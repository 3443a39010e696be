"""What the dialer uses of AMI, ARI and the callback store, as protocols.

The real adapters (``AmiClient``, ``AriClient``, ``CallbackStore``) satisfy
them, and so do the fakes of ``tests/fakes`` that the unit tests and the SLA
benchmark run the dialer against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from panoramisk.message import Message

from ..desk.callback import Callback, Refused, RetryPolicy, Stale, Status


class AmiPort(Protocol):
    ready: asyncio.Event

    def on_event(self, pattern: str, handler: Callable[[Message], Any]) -> None: ...

    def on_connected(self, hook: Callable[[Any], Awaitable[None]]) -> None: ...

    async def send(self, action: Mapping[str, Any], *, timeout: float | None = None
                   ) -> Message | list[Message]: ...

    async def rows(self, action: Mapping[str, Any]) -> list[Message]: ...


class AriPort(Protocol):
    async def request(self, method: str, path: str, **kw: Any) -> Any: ...


class CallbackStorePort(Protocol):
    async def record(self, cb_id: str) -> dict[str, str] | None: ...

    async def earliest_ready(self) -> Callback | None: ...

    async def promote(self, now: float | None = None, limit: int = 250) -> int: ...

    async def claim(self, *, lease: float, owner: str, now: float | None = None,
                    policy: RetryPolicy = RetryPolicy()) -> dict[str, str] | Refused | None: ...

    async def forget_lease(self, cb_id: str) -> bool: ...

    async def finish(self, cb_id: str, fence: str, *, status: str, due: float = 0,
                     reason: str = "", outcome: str = "", reached: bool = False,
                     sla: str = "", first_dialled: float | None = None,
                     answered_at: float | None = None, event: str = "attempt",
                     now: float | None = None) -> Status | Stale: ...

    async def extend(self, cb_id: str, fence: str, until: float) -> bool: ...

    async def expired_leases(self, now: float | None = None, limit: int = 100) -> list[str]: ...

    async def serve_number(self, number: str, reason: str, now: float | None = None
                           ) -> str | None: ...
