"""ARI over aiohttp: REST calls and the application's event websocket.

An ARI application exists only while its websocket is connected, and Asterisk
keeps no events for it while it is away. The websocket is held by a
supervisor task that reconnects with capped back-off and runs the
``on_connected`` hooks after each connect (to reconcile channels left in the
application). A websocket closed cleanly by Asterisk ends the read loop
rather than spinning on it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from ..logs import Repeats, cause
from ..ports import AriError, AriEventHandler
from ..tasks import TaskSet, Worker

log = logging.getLogger(__name__)

class AriClient:
    def __init__(self, url: str, username: str, password: str, app: str, *,
                 request_timeout: float = 5.0, max_backoff: float = 10.0) -> None:
        self.base = url.rstrip("/") + "/ari"
        self.app = app
        self.username = username
        self._repeats = Repeats()
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self.request_timeout = request_timeout
        self.max_backoff = max_backoff
        self._session: aiohttp.ClientSession | None = None
        self._handlers: dict[str, list[AriEventHandler]] = {}
        self._hooks: list[Callable[["AriClient"], Awaitable[None]]] = []
        self._worker = Worker(self._supervise, f"ari-{app}")
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._handling = TaskSet("ARI event handlers")
        self.connected = asyncio.Event()
        self.connects = 0
        # The websocket (the application) is held only while this is set.
        self.holding = asyncio.Event()
        self.holding.set()

    def on_event(self, event_type: str, handler: AriEventHandler) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def on_connected(self, hook: Callable[["AriClient"], Awaitable[None]]) -> None:
        self._hooks.append(hook)

    def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self.request_timeout))
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()
        await self._handling.close()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def drop(self) -> None:
        """Close the websocket (the supervisor reconnects)."""
        if self._ws is not None:
            await self._ws.close()

    async def hold(self, hold: bool) -> None:
        """Hold the application (connect the websocket) or let it go."""
        if hold:
            self.holding.set()
        else:
            self.holding.clear()
            await self.drop()

    async def request(self, method: str, path: str, *, params: dict[str, str] | None = None,
                      body: Any = None) -> Any:
        """One REST call; returns the decoded JSON body (None for 204)."""
        if self._session is None:
            raise AriError(0, method, path, "client not started")
        async with self._session.request(method, self.base + path, params=params,
                                         json=body) as resp:
            text = await resp.text()
            if resp.status >= 300:
                raise AriError(resp.status, method, path, text)
            return json.loads(text) if text else None

    async def pjsip_registrations(self) -> dict[str, bool]:
        """PJSIP endpoint name -> whether a registered contact is reachable."""
        endpoints = await self.request("GET", "/endpoints/PJSIP")
        return {e.get("resource", ""): e.get("state") == "online" for e in endpoints or []}

    # -- websocket ----------------------------------------------------------
    async def _supervise(self) -> None:
        backoff = 0.2
        url = self.base.replace("http", "ws", 1) + "/events"
        params = {"app": self.app, "subscribeAll": "false"}
        while True:
            await self.holding.wait()
            try:
                assert self._session is not None
                async with self._session.ws_connect(url, params=params, heartbeat=10,
                                                    timeout=aiohttp.ClientWSTimeout(ws_close=5)
                                                    ) as ws:
                    self._ws = ws
                    self.connects += 1
                    backoff = 0.2
                    self._repeats.clear()
                    for hook in self._hooks:
                        await hook(self)
                    self.connected.set()
                    log.info("ARI: application '%s' connected (connection %d)",
                             self.app, self.connects)
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            self._dispatch(msg.data)
                        elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                            break
                if not self.holding.is_set():
                    log.info("ARI: application '%s' released", self.app)
                    backoff = 0.2
                    continue
                log.warning("ARI: websocket of '%s' closed; reconnecting", self.app)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network errors, handshake refusals
                problem, remedy = self.refusal(exc)
                if self._repeats.due(problem):
                    if self._repeats.again:
                        log.warning("ARI: still cannot hold application '%s': %s%s", self.app,
                                    problem, self._repeats.told())
                    else:
                        log.warning("ARI: cannot hold application '%s': %s: %s; retrying "
                                    "with back-off", self.app, problem, remedy)
            finally:
                self._ws = None
                self.connected.clear()
            delay = backoff * (1 + random.random() / 4)
            await asyncio.sleep(delay)
            backoff = min(backoff * 2, self.max_backoff)

    def refusal(self, exc: BaseException) -> tuple[str, str]:
        """What went wrong with a websocket connect, and what to check."""
        where = self.base[:-len("/ari")]
        if isinstance(exc, aiohttp.WSServerHandshakeError):
            if exc.status == 401:
                return (f"ARI refused the login for user {self.username} (HTTP 401)",
                        "check [ari] username and password against ari.conf")
            return (f"ARI at {where} answered HTTP {exc.status} ({exc.message})",
                    "check [ari] url and that ARI is enabled in ari.conf and http.conf")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return (f"cannot reach ARI at {where} ({exc.os_error})",
                    "check [ari] url and that Asterisk runs")
        if isinstance(exc, asyncio.TimeoutError):
            return (f"no answer from ARI at {where} within {self.request_timeout:g} s",
                    "Asterisk accepts the connection but does not answer: check that it "
                    "is not hung or overloaded ('core show taskprocessors')")
        return (f"{type(exc).__name__} from ARI at {where}: {cause(exc)}",
                "check [ari] url and that Asterisk runs")

    def _dispatch(self, data: str) -> None:
        try:
            event = json.loads(data)
        except ValueError:
            log.warning("ARI: undecodable event dropped: %r", data[:200])
            return
        for handler in self._handlers.get(event.get("type", ""), ()):
            result = handler(event)
            if asyncio.iscoroutine(result):
                self._handling.spawn(result)
