"""``FakeAri``: the simulated desk's ARI (``ari_app/simulation/asterisk.py``)
as one ARI application that records REST calls and replays events."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from ari_app.simulation.asterisk import SimAri


class FakeAri(SimAri):
    """Satisfies ``ari_app.ports.AriApplication`` (and what the wiring asks
    of ``AriClient``): ``requests`` lists every REST call as (method, path,
    params); ``answers`` maps (method, path) to the answer; a channel asked
    for by ``GET /channels/<id>`` is up if it is in ``up`` (else 404); any
    other call answers None."""

    def __init__(self, app: str = "datadesk", *, connected: bool = True) -> None:
        super().__init__()
        self.app = app
        self.connected = asyncio.Event()
        if connected:
            self.connected.set()
        self.holding = asyncio.Event()
        self.applications_lost = 0
        self.handlers: dict[str, list[Callable]] = {}
        self.hooks: list[Callable] = []
        self.requests: list[tuple[str, str, dict | None]] = []
        self.answers: dict[tuple[str, str], Any] = {}
        self.registrations: dict[str, bool] = {}
        self.started = self.stopped = 0

    def on_event(self, event_type: str, handler: Callable) -> None:
        self.handlers.setdefault(event_type, []).append(handler)

    def on_connected(self, hook: Callable) -> None:
        self.hooks.append(hook)

    def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1

    async def hold(self, hold: bool) -> None:
        if hold:
            self.holding.set()
        else:
            self.holding.clear()

    async def request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                      body: Any = None) -> Any:
        self.requests.append((method, path, params))
        if (method, path) in self.answers:
            return self.answers[(method, path)]
        if method == "GET" and path.startswith("/channels/") and path.count("/") == 2:
            return await super().request(method, path, params=params, body=body)
        return None

    async def pjsip_registrations(self) -> dict[str, bool]:
        return dict(self.registrations)

    async def emit(self, event: dict[str, Any]) -> None:
        """Run every handler of ``event["type"]`` to the end."""
        for handler in self.handlers.get(event.get("type", ""), ()):
            result = handler(event)
            if asyncio.iscoroutine(result):
                await result
