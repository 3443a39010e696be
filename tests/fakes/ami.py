"""``FakeAmi``: an AMI client that is never connected to anything."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any


class FakeAmi:
    """Keeps the handlers and hooks registered on it; ``ready`` is set by the
    test; every action sent is recorded and answered from ``answers``
    (by action name), else refused as if the link were down."""

    def __init__(self, *, ready: bool = True) -> None:
        self.ready = asyncio.Event()
        if ready:
            self.ready.set()
        self.handlers: list[tuple[str, Callable]] = []
        self.hooks: list[Callable] = []
        self.lost: list[Callable[[], None]] = []
        self.sent: list[dict[str, Any]] = []
        self.answers: dict[str, Any] = {}
        self.started = self.stopped = 0

    def on_event(self, pattern: str, handler: Callable) -> None:
        self.handlers.append((pattern, handler))

    def on_connected(self, hook: Callable) -> None:
        self.hooks.append(hook)

    def on_disconnected(self, callback: Callable[[], None]) -> None:
        self.lost.append(callback)

    def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1

    def emit(self, message: dict[str, Any]) -> None:
        """Hand ``message`` to every handler registered for its event name."""
        for pattern, handler in self.handlers:
            if pattern == message.get("Event"):
                handler(message)

    async def send(self, action: dict[str, Any], **_kw: Any) -> Any:
        self.sent.append(action)
        if action.get("Action") in self.answers:
            return self.answers[action["Action"]]
        raise ConnectionError("fake AMI: not connected")

    command = send

    async def rows(self, action: dict[str, Any], **kw: Any) -> list:
        reply = await self.send(action, **kw)
        return reply if isinstance(reply, list) else [reply]
