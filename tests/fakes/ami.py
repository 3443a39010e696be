"""``FakeAmi``: the simulated desk's AMI (``ari_app/simulation/asterisk.py``)
with what the wiring's tests ask of an AMI client besides."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ari_app.simulation.asterisk import Originate, SimAmi, refuse


class FakeAmi(SimAmi):
    """``ready`` as the test says; an action named in ``answers`` gets that
    answer; an ``Originate`` goes to ``originate`` and a receipt's ``DBGet``
    to ``receipts`` (as ``SimAmi``); any other action is refused as if the
    link were down. Every action sent is recorded in ``sent``; starts, stops
    and the link-lost callbacks are kept."""

    def __init__(self, originate: Originate = refuse, receipts: dict[str, str] | None = None,
                 *, ready: bool = True) -> None:
        super().__init__(originate, receipts)
        if not ready:
            self.ready.clear()
        self.lost: list[Callable[[], None]] = []
        self.answers: dict[str, Any] = {}
        self.started = self.stopped = 0
        # What the client says of its link (ari_app/web/stalls.py reads them).
        self.trouble: str | None = None if ready else "not connected yet"
        self.stale_since: float | None = None
        self.heartbeats_missed = 0

    def on_disconnected(self, callback: Callable[[], None]) -> None:
        self.lost.append(callback)

    def start(self) -> None:
        self.started += 1

    async def stop(self) -> None:
        self.stopped += 1

    async def send(self, action: Mapping[str, Any], **kw: Any) -> Any:
        name = action.get("Action")
        if name == "Originate" and name not in self.answers:
            return await super().send(action, **kw)
        self.sent.append(dict(action))
        if name in self.answers:
            return self.answers[name]
        raise ConnectionError("fake AMI: not connected")

    command = send

    async def rows(self, action: Mapping[str, Any], **kw: Any) -> list:
        if action.get("Action") == "DBGet" and action.get("Family") == "desk-cb":
            return await super().rows(action, **kw)
        reply = await self.send(action, **kw)
        return reply if isinstance(reply, list) else [reply]
