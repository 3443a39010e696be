"""The controller's wiring: one aiohttp application owns every connection.

AMI, ARI and Redis are tied to the application's lifetime with
``cleanup_ctx``; the HTTP face serves health (``web/health.py``) and the
live board.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import asdict

from aiohttp import web

from . import __version__
from .asterisk.ami import AmiClient
from .asterisk.ari_ import AriClient
from .asterisk.lamp import DeskLamp, utcnow
from .asterisk.presence import DeskPresence
from .asterisk.stasis import DeskStasis
from .desk.board import Board
from .desk.routing import Route, desk_status
from .asterisk.capture import CallbackCapture, Prompts
from .callbacks import CallbacksService, RequestLimits
from .dialer import Dialer
from .spool import importer as spool
from .leader import Leadership
from .settings import (Settings, build_calendar, build_numbers, build_policy, build_retry,
                       build_topics)
from .store.callbacks import CallbackStore
from .store.limits import RateLimits
from .store.redis_ import RedisStore
from .web import callbacks as callbacks_api
from .store.stats import DeskStats
from .web import health as health_
from .web import metrics as metrics_
from .web import wallboard
from .web.auth import TOKENS, require_token
from .web.errors import json_errors
from .web.openapi import DOCUMENT

log = logging.getLogger(__name__)


class Controller:
    """The parts of a running controller, built from settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.board = Board(settings.desk.queue, settings.desk.seats)
        self.ami = AmiClient(settings.ami.host, settings.ami.port, settings.ami.username,
                             settings.ami.secret, name="ami")
        self.ari = AriClient(settings.ari.url, settings.ari.username, settings.ari.password,
                             settings.ari.app)
        self.store = RedisStore(settings.redis.url, username=settings.redis.username,
                                password=settings.redis.password)
        self.calendar = build_calendar(settings.calendar)
        self.stats = DeskStats(self.store.client, self.calendar.zone)
        self.changed = asyncio.Event()
        self.lamp = DeskLamp(self.ari, self.board, self.calendar,
                             device=settings.desk.lamp_device)
        self.leadership = Leadership(self.callbacks_store_take, self.callbacks_store_resign)
        self.ari.holding.clear()  # held only while leading
        self.leadership.on_change(self.ari.hold)
        policy = build_policy(settings)
        topics = build_topics(settings.topics)
        cb = settings.callbacks
        limits = RateLimits(self.store.client)
        self.callbacks = CallbacksService(
            CallbackStore(self.store.client, retention=cb.retention * 86400), self.calendar,
            build_numbers(cb), topics,
            policy.sla, limits=limits,
            request_limits=RequestLimits(cb.requests_per_number_hour, cb.requests_per_minute))
        self.dialer = Dialer(self.ami, self.ari, self.callbacks.store, self.board, self.calendar,
                             build_retry(cb), agent_wait=cb.agent_wait,
                             customer_ring=cb.customer_ring, lease=cb.lease, stats=self.stats,
                             leading=lambda: self.leadership.is_leader, limits=limits,
                             origination_limits=(cb.originations_per_number_day,
                                                 cb.originations_per_minute),
                             numbers=build_numbers(cb))
        self.presence = DeskPresence(self.ami, self.board, wrapup=settings.desk.wrapup,
                                     registrations=self.ari.pjsip_registrations,
                                     on_change=self._board_changed)
        capture = CallbackCapture(self.ari, self.callbacks, prompts=Prompts(language=cb.language),
                                  clock=utcnow)
        self.stasis = DeskStasis(self.ari, self.board, self.calendar, topics, policy,
                                 queue_wait=settings.desk.queue_wait, record=self.record,
                                 capture=capture, can_store=lambda: self.store.up is not False)

        self.ami.on_event("AgentComplete", self._on_agent_complete)
        self.spool = spool.build(self.ami, self.callbacks, clock=utcnow,
                                 leading=lambda: self.leadership.is_leader)

    def _board_changed(self, _seat) -> None:
        self.lamp.refresh()
        self.dialer.wake()
        self.changed.set()
        self.changed.clear()

    async def record(self, kind: str, fields: dict[str, str]) -> None:
        """The event log, and today's transfer figures."""
        await self.store.record(kind, fields)
        if kind == "route":
            await self.stats.transfer(fields.get("caller", ""))

    def _on_agent_complete(self, msg) -> None:
        """A live desk call ended: count it and its talk time."""
        if msg.get("Queue") != self.board.queue or msg.get("Channel", "").startswith("Local/"):
            return
        talk = int(msg.get("TalkTime", "0") or 0) if str(msg.get("TalkTime", "0")).isdigit() else 0

        async def count() -> None:
            await self.stats.add("answered")
            await self.stats.add("talk_seconds", talk)
        asyncio.get_running_loop().create_task(count())

    async def callbacks_store_take(self, key: str, owner: str, ttl: float) -> bool:
        return await self.callbacks.store.take_lead(key, owner, ttl)

    async def callbacks_store_resign(self, key: str, owner: str) -> None:
        await self.callbacks.store.resign(key, owner)

    async def start(self) -> None:
        self.leadership.start()
        self.store.start()
        self.ami.start()
        self.ari.start()
        self.lamp.start()
        self.dialer.start()
        self.spool.start()

    async def stop(self) -> None:
        await self.leadership.stop()
        await self.spool.stop()
        await self.dialer.stop()
        await self.lamp.stop()
        await self.ari.stop()
        await self.ami.stop()
        await self.store.stop()

    def health(self) -> dict:
        return {
            "role": "leader" if self.leadership.is_leader else "standby",
            "ami": "ready" if self.ami.ready.is_set() else "down",
            "ari": "connected" if self.ari.connected.is_set() else "down",
            "redis": {True: "up", False: "down", None: "unknown"}[self.store.up],
            "board": "in-sync" if self.board.synced else "stale",
        }


CONTROLLER = web.AppKey("controller", Controller)


async def _controller_ctx(app: web.Application) -> AsyncIterator[None]:
    controller = app[CONTROLLER]
    await controller.start()
    yield
    await controller.stop()


async def seats(request: web.Request) -> web.Response:
    """The live board: every seat with its presence, and the desk's status."""
    controller = request.app[CONTROLLER]
    now = utcnow()
    ts = now.timestamp()
    board = [{**asdict(s), "state": s.state.name.lower(), "ready": s.ready(ts),
              "activity": s.activity(ts), "in_wrapup": s.in_wrapup(ts)}
             for s in controller.board]
    return web.json_response({
        "queue": controller.board.queue, "synced": controller.board.synced,
        "desk": desk_status(controller.board, controller.calendar, now).value,
        "open": controller.calendar.is_open(now),
        "seats": board})


async def openapi(_request: web.Request) -> web.Response:
    return web.json_response(DOCUMENT)


async def metrics(request: web.Request) -> web.Response:
    controller = request.app[CONTROLLER]
    ts = utcnow().timestamp()
    try:
        open_callbacks = await controller.callbacks.store.count_open()
        overdue = await controller.callbacks.store.count_overdue(ts)
    except Exception:  # Redis away: say nothing rather than a wrong zero
        open_callbacks = overdue = None
    health = controller.health()
    text = metrics_.render(
        seats_by_activity=Counter(s.activity(ts) for s in controller.board),
        waiting=controller.board.waiting, open_callbacks=open_callbacks,
        sla=controller.dialer.sla,
        connections={"ami": controller.ami.ready.is_set(),
                     "ari": controller.ari.connected.is_set(),
                     "redis": controller.store.up is True},
        routes=Counter({**{r.value: 0 for r in Route}, **controller.stasis.routes}),
        version=__version__, leader=health["role"] == "leader",
        ready=not health_.problems(health), overdue_callbacks=overdue,
        not_placed=controller.dialer.not_placed)
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


def init_app(settings: Settings) -> web.Application:
    app = web.Application(client_max_size=callbacks_api.MAX_BODY,
                          middlewares=[json_errors, require_token,
                                       callbacks_api.store_unavailable])
    app[TOKENS] = tuple(settings.http.tokens)
    controller = app[CONTROLLER] = Controller(settings)
    app[callbacks_api.SERVICE] = controller.callbacks
    app.cleanup_ctx.append(_controller_ctx)
    callbacks_api.add_routes(app)
    health_.add_routes(app, controller.health)
    app.router.add_get("/api/seats", seats)
    app.router.add_get("/api/openapi.json", openapi)
    app.router.add_get("/metrics", metrics)
    app[wallboard.SNAPSHOT] = lambda: wallboard.build_snapshot(controller)
    app[wallboard.CHANGED] = controller.changed
    wallboard.add_routes(app)
    return app
