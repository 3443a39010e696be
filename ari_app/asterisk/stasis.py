"""The desk's ARI application: the transferred caller enters, a route leaves.

The dialplan runs ``Stasis(datadesk,route,<target>)``. The controller decides
with the desk's routing rule and sends the channel on with ``continue`` to the
dialplan context of the route. Whatever goes wrong here (a REST error, a
slow Redis) the caller is sent on: to the decided route if possible, else to
the dialplan's own fallback. Never dead air.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from ..desk.board import Board
from ..desk.routing import GROUP, Decision, Route, decide
from .ari_ import AriClient, AriError

log = logging.getLogger(__name__)

# Where each route continues in the dialplan (dialplan/30-desk.conf).
DIALPLAN = {
    Route.QUEUE: ("desk-queue", "s"),
    Route.SEAT: ("desk-seat", None),  # extension = the agent ID
    Route.CALLBACK: ("desk-callback", "s"),
    Route.FALLBACK: ("desk-fallback", "s"),
}

_AGENT_ID = re.compile(r"^[0-9A-Za-z_-]{1,32}$")

RecordFn = Callable[[str, dict[str, str]], Any]


def parse_target(args: list[Any]) -> str:
    """The transfer target from the Stasis arguments; anything odd -> the group."""
    if len(args) >= 2 and isinstance(args[1], str) and _AGENT_ID.match(args[1]):
        return args[1]
    return GROUP


class DeskStasis:
    def __init__(self, ari: AriClient, board: Board, *, record: RecordFn | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.ari = ari
        self.board = board
        self.record = record
        self.clock = clock
        self._pending: set[asyncio.Task] = set()
        ari.on_event("StasisStart", self.on_stasis_start)
        ari.on_connected(self.reconcile)

    async def on_stasis_start(self, event: dict[str, Any]) -> None:
        channel = event.get("channel", {})
        channel_id = channel.get("id", "")
        args = event.get("args") or []
        if not args or args[0] != "route":
            log.warning("ARI: channel %s entered with unknown arguments %r; dialplan fallback",
                        channel.get("name"), args)
            await self._continue(channel_id, Decision(Route.FALLBACK, "unknown entry"))
            return
        target = parse_target(args)
        decision = decide(self.board, target, self.clock())
        log.info("route %s caller=%s target=%s -> %s (%s)", channel.get("name"),
                 channel.get("caller", {}).get("number"), target, decision.route.value,
                 decision.reason)
        await self._continue(channel_id, decision)
        if self.record is not None:
            self._background(self.record("route", {
                "channel": channel.get("name", ""), "caller": channel.get("caller", {}).get("number", ""),
                "target": target, "route": decision.route.value, "reason": decision.reason,
                "seat": decision.seat or ""}))

    async def _continue(self, channel_id: str, decision: Decision) -> None:
        context, exten = DIALPLAN[decision.route]
        exten = exten or decision.seat or "s"
        path = f"/channels/{AriClient.quote(channel_id)}"
        try:
            await self.ari.request("POST", path + "/variable",
                                   params={"variable": "DESK_ROUTE", "value": decision.route.value})
            await self.ari.request("POST", path + "/continue",
                                   params={"context": context, "extension": exten, "priority": "1"})
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            if getattr(exc, "status", None) == 404:
                log.info("ARI: channel %s left before it could be routed", channel_id)
                return
            log.error("ARI: could not route channel %s to %s (%s); trying the dialplan fallback",
                      channel_id, context, exc)
            if decision.route is not Route.FALLBACK:
                try:
                    await self.ari.request("POST", path + "/continue", params={
                        "context": "desk-fallback", "extension": "s", "priority": "1"})
                except (AriError, OSError, asyncio.TimeoutError) as again:
                    log.error("ARI: channel %s stuck in the application: %s", channel_id, again)

    async def reconcile(self, ari: AriClient) -> None:
        """After a (re)connect, route channels that were left in the application."""
        try:
            channels = await ari.request("GET", "/channels")
        except (AriError, OSError, asyncio.TimeoutError) as exc:
            log.warning("ARI: cannot list channels to reconcile: %s", exc)
            return
        for ch in channels or []:
            if ch.get("dialplan", {}).get("app_name") == "Stasis" and \
                    ch.get("dialplan", {}).get("app_data", "").startswith(f"{ari.app},"):
                log.info("ARI: channel %s was left in the application; routing it now",
                         ch.get("name"))
                self._background(self.on_stasis_start({"channel": ch, "args": ch.get(
                    "dialplan", {}).get("app_data", "").split(",")[1:]}))

    def _background(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
