"""The ports: what the controller's parts use of AMI, ARI and the callback
store, as ``Protocol``s, with the errors the adapters raise and the few
rules of Asterisk's vocabulary the parts share.

The parts (the Stasis application, capture, the lamp, the dialer, the spool
import) are written against these, never against ``AmiClient``,
``AriClient`` or ``CallbackStore``: the real adapters satisfy them as they
are, and so do the simulated desk (``simulation/``, ``store/memory.py``) and
the tests' fakes (``tests/fakes``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol
from urllib.parse import quote as _quote

from panoramisk.message import Message

from .desk.callback import Callback, Refused, RetryPolicy, Stale, Status


# -- errors -------------------------------------------------------------------
class SlotFull(RuntimeError):
    """The callback store refused a booking: its slot has no room left."""


class AmiError(RuntimeError):
    """Asterisk answered an action with an error (``reason``: its message,
    for a refused login)."""

    reason = ""


class AmiDisconnected(ConnectionError):
    """The AMI link is down (or dropped while the action was in flight)."""


class AriError(RuntimeError):
    """ARI answered a REST call with an HTTP error (``status``; 0: the
    client is not started)."""

    def __init__(self, status: int, method: str, path: str, body: str) -> None:
        super().__init__(f"ARI {method} {path}: HTTP {status} {body[:200]}")
        self.status = status


# -- AMI ----------------------------------------------------------------------
AmiHandler = Callable[[Message], Any]


class AmiPort(Protocol):
    """One supervised AMI session; ``ready``: logged in and resynced."""

    ready: asyncio.Event

    def on_event(self, pattern: str, handler: AmiHandler) -> None:
        """``handler(message)`` for every event whose name matches ``pattern``
        (fnmatch), across reconnects."""

    def on_connected(self, hook: Callable[[Any], Awaitable[None]]) -> None:
        """``await hook(client)`` after every login, before ``ready`` is set."""

    async def send(self, action: Mapping[str, Any], *, timeout: float | None = None
                   ) -> Message | list[Message]:
        """One action's answer; raises ``AmiDisconnected``, ``asyncio.TimeoutError``
        or ``ValueError`` (a value that would break AMI's framing or shapes)."""

    async def rows(self, action: Mapping[str, Any]) -> list[Message]:
        """An action answered by an event list; an error answer raises ``AmiError``."""


# -- ARI ----------------------------------------------------------------------
AriEventHandler = Callable[[dict[str, Any]], Awaitable[None] | None]


class AriRest(Protocol):
    """ARI's REST calls."""

    async def request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                      body: Any = None) -> Any:
        """One REST call: the decoded JSON answer (None for 204); raises ``AriError``."""


class AriApplication(AriRest, Protocol):
    """One ARI application: its events, its (re)connects, its REST calls."""

    app: str
    connected: asyncio.Event

    def on_event(self, event_type: str, handler: AriEventHandler) -> None:
        """``handler(event)`` for every event of ``event_type`` while connected."""

    def on_connected(self, hook: Callable[[Any], Awaitable[None]]) -> None:
        """``await hook(client)`` after every (re)connect of the websocket."""


def quote(part: str) -> str:
    """One segment of an ARI path (a channel id, a device name), escaped whole."""
    return _quote(part, safe="")


def channel_path(channel_id: str) -> str:
    return f"/channels/{quote(channel_id)}"


async def channel_gone(ari: AriRest, channel_id: str) -> bool:
    """Is the channel gone from Asterisk? True when ARI says 404, False when
    the channel is there; any other ``AriError``, ``OSError`` or timeout
    propagates (not known either way)."""
    try:
        await ari.request("GET", channel_path(channel_id))
    except AriError as exc:
        if exc.status == 404:
            return True
        raise
    return False


def desk_caller(event: Mapping[str, str], queue: str) -> bool:
    """Is this queue event (``QueueCallerJoin``, ``AgentConnect``, a
    ``QueueEntry`` row...) one of a live caller of the desk queue ``queue``?
    A callback attempt waits in the same queue as a ``Local/`` channel: it is
    no caller."""
    return event.get("Queue") == queue and not event.get("Channel", "").startswith("Local/")


# -- the callback store ---------------------------------------------------------
class CallbackStorePort(Protocol):
    """What the dialer asks of the callback store (``store/callback_store.py``,
    ``store/memory.py``)."""

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
