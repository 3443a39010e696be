"""What the ARI application side needs of ARI, as ``Protocol``s.

The Stasis application (``stasis.py``), callback capture (``capture.py``)
and the desk lamp (``lamp.py``) are written against these, not against
``AriClient``: a test hands them a fake that records the REST calls and
replays events, and the real client satisfies them as it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

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
