"""AMI and ARI as the simulated desk offers them to the dialer (the ports it
uses of them: ``ports.py``); nothing here touches a network. The tests'
fakes (``tests/fakes``) are these, with what the wiring's tests ask besides.

``SimAmi`` answers ``Originate`` through a handler given to it (the
simulated desk's queue, ``desk.SimDesk.originate``, or a test's scripted
reply), ``DBGet`` of ``desk-cb/<id>`` from ``receipts`` (the dialplan's
AstDB receipts), and delivers events to the handlers registered with
``on_event``. ``SimAri`` answers ``GET /channels/<id>``: up if the id is in
``up``, else 404.
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from panoramisk.message import Message

from ..ports import AriError, channel_path

Originate = Callable[[dict[str, Any]], Awaitable[Message | list[Message]]]


async def refuse(_action: dict[str, Any]) -> Message:
    """The Originate handler of a desk that places no call."""
    return Message({"Response": "Error", "Message": "no originate handler"})


class SimAmi:
    def __init__(self, originate: Originate = refuse,
                 receipts: dict[str, str] | None = None, *,
                 keep: Callable[[asyncio.Future], None] = lambda _f: None) -> None:
        """``keep`` is given each Originate's call, which runs on whatever
        becomes of the caller's wait (as Asterisk's does)."""
        self.originate, self.keep = originate, keep
        self.receipts = {} if receipts is None else receipts
        self.ready = asyncio.Event()
        self.ready.set()
        self.sent: list[dict[str, Any]] = []
        self._handlers: list[tuple[str, Callable[[Message], Any]]] = []
        self.hooks: list[Callable] = []

    def on_event(self, pattern: str, handler: Callable[[Message], Any]) -> None:
        self._handlers.append((pattern, handler))

    def on_connected(self, hook: Callable) -> None:
        self.hooks.append(hook)

    def emit(self, headers: Mapping[str, str]) -> None:
        """Hand the event to every handler whose pattern matches its name."""
        msg = Message(headers)
        for pattern, handler in self._handlers:
            if fnmatch.fnmatchcase(headers.get("Event", ""), pattern):
                handler(msg)

    async def send(self, action: Mapping[str, Any], *, timeout: float | None = None,
                   as_list: bool | None = None) -> Message | list[Message]:
        self.sent.append(dict(action))
        if action.get("Action") != "Originate":
            return Message({"Response": "Error", "Message": "not simulated"})
        if "Async" not in action:
            raise ValueError("Originate needs an explicit Async header")
        call = asyncio.ensure_future(self.originate(dict(action)))
        self.keep(call)
        return await asyncio.wait_for(asyncio.shield(call), timeout or 5.0)

    async def rows(self, action: Mapping[str, Any], *, timeout: float | None = None
                   ) -> list[Message]:
        """``DBGet`` of ``desk-cb/<id>``: the dialplan's receipt, if any."""
        value = self.receipts.get(action.get("Key", ""))
        if action.get("Action") != "DBGet" or action.get("Family") != "desk-cb" or not value:
            return []
        return [Message({"Response": "Success", "EventList": "start"}),
                Message({"Event": "DBGetResponse", "Family": "desk-cb",
                         "Key": action["Key"], "Val": value})]


class SimAri:
    def __init__(self, up: set[str] | None = None) -> None:
        self.up = set() if up is None else up

    async def request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                      body: Any = None) -> Any:
        """``GET /channels/<id>``: the channel if it is up, else 404 (as for
        anything else asked)."""
        channel = next((c for c in self.up if path == channel_path(c)), None)
        if method == "GET" and channel is not None:
            return {"id": channel, "state": "Up"}
        raise AriError(404, method, path, '{"message":"Channel not found"}')
