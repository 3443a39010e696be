"""ARI over aiohttp: REST calls and the application's event websocket.

An ARI application exists only while its websocket is connected, and Asterisk
keeps no events for it while it is away. The websocket is held by a
supervisor task that reconnects with capped back-off and runs the
``on_connected`` hooks after each connect (to reconcile channels left in the
application). A websocket closed cleanly by Asterisk ends the read loop
rather than spinning on it.

An open websocket does not prove that Asterisk still routes the application
to it: any other websocket naming the same application replaces it (Asterisk
sends ``ApplicationReplaced``), and that websocket's close unregisters the
application for everyone. This happens without anyone else: a connect that
timed out while Asterisk was frozen sits in its listen backlog and is
accepted when it resumes. So while connected the client asks Asterisk every
``app_check`` seconds whether the application exists, and registers it again
(a new websocket) when it does not or when it was replaced.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
import time
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
        self.app_check = 2.0   # seconds between asking Asterisk for the application
        # Times Asterisk stopped routing the application to this client's
        # websocket (replaced or unregistered by another one), since start.
        self.applications_lost = 0
        self._lost: str | None = None   # why the current websocket is given up
        self._lost_wait, self._lost_last = 0.1, -1e9
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

    async def download(self, path: str, *, limit: int) -> bytes:
        """A REST resource's raw bytes (a stored recording's file); ``AriError``
        for an error status or a body over ``limit`` bytes."""
        if self._session is None:
            raise AriError(0, "GET", path, "client not started")
        async with self._session.get(self.base + path,
                                     timeout=aiohttp.ClientTimeout(total=60)) as resp:
            if resp.status >= 300:
                raise AriError(resp.status, "GET", path, await resp.text())
            body = bytearray()
            async for chunk in resp.content.iter_any():   # read() would stop at a chunk
                body += chunk
                if len(body) > limit:
                    raise AriError(413, "GET", path, f"more than {limit} bytes")
            return bytes(body)

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
                    self._ws, self._lost = ws, None
                    self.connects += 1
                    backoff = 0.2
                    self._repeats.clear()
                    for hook in self._hooks:
                        await hook(self)
                    self.connected.set()
                    log.info("ARI: application '%s' connected (connection %d)",
                             self.app, self.connects)
                    await self._read(ws)
                if not self.holding.is_set():
                    log.info("ARI: application '%s' released", self.app)
                    backoff = 0.2
                    continue
                if self._lost is not None:
                    # Lost again and again: someone holds it on purpose; back off.
                    backoff = self._loss_backoff()
                    log.warning("ARI: Asterisk no longer routes application '%s' to this "
                                "controller: %s; registering it again (lost %d time(s) "
                                "since start)", self.app, self._lost, self.applications_lost)
                else:
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

    def _loss_backoff(self) -> float:
        """The wait before registering a lost application again: short for a
        loss now and then, growing while losses come within 30 s of each other."""
        now = time.monotonic()
        wait = self._lost_wait * 2 if now - self._lost_last < 30 else 0.2
        self._lost_wait, self._lost_last = min(wait, self.max_backoff), now
        return self._lost_wait

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Dispatch the websocket's events until it closes, checking meanwhile
        that Asterisk still has the application."""
        watch = asyncio.create_task(self._watch(ws), name=f"ari-{self.app}-check")
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._dispatch(msg.data)
                elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSED):
                    break
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch

    async def _watch(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while not ws.closed:
            await asyncio.sleep(self.app_check)
            try:
                await self.request("GET", f"/applications/{self.app}")
            except AriError as exc:
                if exc.status == 404:
                    await self._give_up(ws, "it is not registered any more (another "
                                            "websocket for it was closed)")
                    return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass  # the websocket's heartbeat and AMI's tell of an unreachable PBX

    async def _give_up(self, ws: aiohttp.ClientWebSocketResponse, why: str) -> None:
        if ws is not self._ws:      # that websocket is gone already: nothing to give up
            return
        if self._lost is None:
            self._lost = why
            self.applications_lost += 1
        await ws.close()

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
        if event.get("type") == "ApplicationReplaced" and self._ws is not None:
            self._handling.spawn(self._give_up(self._ws, "another websocket registered it "
                                                         "(ApplicationReplaced)"))
            return
        for handler in self._handlers.get(event.get("type", ""), ()):
            result = handler(event)
            if asyncio.iscoroutine(result):
                self._handling.spawn(result)
