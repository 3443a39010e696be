"""The controller's wiring: one aiohttp application owns every connection.

``init_app`` takes the clients (AMI, ARI, Redis, the board) from its caller,
or builds them from the settings; each connection and each background part
is tied to the application's lifetime by a ``cleanup_ctx`` of its own. The
HTTP face (health, seats, metrics, callbacks, wallboard) lives in ``web/``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .alerts.watch import RiskRule, RiskWatch
from .alerts.webhook import Delivery, Webhook
from .asterisk.ami import AmiClient, AmiTuning
from .asterisk.ari_ import AriClient
from .asterisk.capture import CallbackCapture
from .asterisk.foreign_replaces import ForeignReplaces
from .asterisk.prompts import Prompts
from .asterisk.lamp import DeskLamp
from .asterisk.presence import DeskPresence
from .asterisk.desk_calls import DeskCalls
from .asterisk.stasis import LIVE, DeskStasis, RoutingRules
from .clock import utcnow
from .quality import quality_globals
from .quality.service import Links, QualityParts
from .desk.board import Board
from .desk.pauses import PauseLedger
from .dialer import Dialer, DialerPorts, DialerRules
from .service import CallbacksService, RequestLimits
from .spool import importer as spool
from .leadership import LeaseClock, Leadership
from .measured import MeasuredFigures
from .notify.confirmations import confirmations_of
from .promises import Promises
from .settings import (Settings, build_calendar, build_grants, build_heartbeat, build_numbers,
                       build_policy, build_promise_rules, build_topics)
from .store.callback_store import CallbackStore
from .store.connection import RedisStore
from .store.seat_sampler import SeatSampler
from .store.stores import Stores
from .web import (callbacks_api, openapi, quality_page, recordings_api, reports, seats,
                  wallboard)
from .web import health as health_, stalls
from .web import metrics as metrics_
from .web.auth import GRANTS, require_token
from .web.errors import json_errors

log = logging.getLogger(__name__)
LIVE_ROUTES = {route.value for route in LIVE}


@dataclass
class Clients:
    """What the controller talks through: given by the caller (a test's
    fakes) or built from the settings by ``connect``."""
    board: Board
    ami: AmiClient
    ari: AriClient
    store: RedisStore


def connect(settings: Settings) -> Clients:
    """The real clients for ``settings`` (nothing is contacted yet)."""
    return Clients(
        board=Board(settings.desk.queue, settings.desk.seats),
        ami=AmiClient(settings.ami.host, settings.ami.port, settings.ami.username,
                      settings.ami.secret, name="ami",
                      tuning=AmiTuning(heartbeat=build_heartbeat(settings.ami))),
        ari=AriClient(settings.ari.url, settings.ari.username, settings.ari.password,
                      settings.ari.app),
        store=RedisStore.from_settings(settings.redis))


class Controller:
    """The parts of a running controller, built from settings and clients."""

    def __init__(self, settings: Settings, clients: Clients | None = None) -> None:
        clients = clients or connect(settings)
        self.settings = settings
        self.board, self.ami, self.ari, self.store = (clients.board, clients.ami, clients.ari,
                                                      clients.store)
        self.calendar = build_calendar(settings.calendar)
        self.topics, self.policy = build_topics(settings.topics), build_policy(settings)
        stores = self.stores = Stores.of(self.store, settings)
        self.stats, self.events, self.limits = stores.stats, stores.events, stores.limits
        self.changed = asyncio.Event()
        self.lamp = DeskLamp(self.ari, self.board, self.calendar,
                             device=settings.desk.lamp_device)
        lease = stores.lease
        self.leadership = Leadership(LeaseClock.around(lease.take, settings.redis),
                                     lease.resign)
        self.ari.holding.clear()  # held only while leading
        self.callbacks = self._build_callbacks(stores.callbacks)
        self.measured = MeasuredFigures(self.stats, settings)
        self.callbacks.promises = Promises(stores.callbacks, self.calendar, self.board,
                                           build_promise_rules(settings), self.measured.current)
        self.dialer = self._build_dialer()
        self.presence = DeskPresence(self.ami, self.board, wrapup=settings.desk.wrapup,
                                     registrations=self.ari.pjsip_registrations,
                                     on_change=self._board_changed)
        self.stasis = self._build_stasis()
        self.foreign_replaces = ForeignReplaces(
            self.ami, settings.desk.seats + settings.desk.frontline_phones)
        self.calls = DeskCalls(self.ami, self.ari, self.board, self.stats,
                               settings.desk.service_level)
        self.calls.pauses = PauseLedger(frozenset(settings.desk.pause_reasons))
        if self.stasis.capture is not None:
            self.stasis.capture.on_abandoned = self.calls.abandoned_in_capture
        self.sampler = SeatSampler(self.stats, self.board)
        self.callbacks.on_created = self.stats.requested
        self.webhook, self.risk = self._build_alerts()
        self.spool = spool.build(self.ami, self.callbacks, clock=utcnow)
        self.quality = QualityParts(Links(self.ami, self.ari, self.store.client), self.topics,
                                    settings.quality, self.calendar.zone,
                                    is_seat=self.board.is_seat,
                                    leading=lambda: self.leadership.is_leader)
        self.quality.tracker.callback_topic = self.callbacks.topic_of
        self.confirmations = confirmations_of(settings, stores)
        if self.confirmations is not None:
            self.callbacks.confirm = self.confirmations.confirm
        for name, part in self.leader_only():
            self.leadership.while_leading(name, part)

    def leader_only(self) -> list[tuple[str, Callable[[], AbstractAsyncContextManager[None]]]]:
        """The parts that run only while this replica leads, in the order
        they start when it takes the lead (they stop in the reverse one)."""
        return [("ARI application", lambda: application_held(self.ari)),
                ("dialer", self.dialer.leading), ("spool import", self.spool.leading),
                ("SLA-risk alerts", self.risk.leading), ("seat minutes", self.sampler.leading),
                ("call figures", self.calls.leading),
                ("recording sweeps", self.quality.leading),
                *([("confirmations", self.confirmations.leading)] if self.confirmations else [])]

    def _build_callbacks(self, store: CallbackStore) -> CallbacksService:
        cb = self.settings.callbacks
        return CallbacksService(
            store, self.calendar, build_numbers(cb), self.topics, self.policy.sla,
            limits=RequestLimits(self.limits, cb.requests_per_number_hour,
                                 cb.requests_per_minute))

    def _build_dialer(self) -> Dialer:
        ports = DialerPorts(self.ami, self.ari, self.stores.callbacks, stats=self.stats,
                            limits=self.limits)
        return Dialer(ports, self.board, DialerRules.of(self.calendar, self.settings.callbacks))

    def _build_alerts(self) -> tuple[Webhook | None, RiskWatch]:
        cb = self.settings.callbacks
        webhook = Webhook(Delivery(cb.alert_url, cb.alert_timeout, cb.alert_retries)) \
            if cb.alert_url else None
        risk = RiskWatch(self.stores.callbacks, RiskRule(cb.at_risk), record=self.events.record,
                         alert=webhook.offer if webhook else None, clock=time.time)
        return webhook, risk

    def _build_stasis(self) -> DeskStasis:
        settings = self.settings
        capture = CallbackCapture(self.ari, self.callbacks,
                                  prompts=Prompts(language=settings.callbacks.language),
                                  clock=utcnow)
        rules = RoutingRules(self.calendar, self.topics, self.policy,
                             queue_wait=settings.desk.queue_wait,
                             language=settings.callbacks.language,
                             topic_languages=settings.topics.languages,
                             dialplan_globals=quality_globals(settings.quality))
        return DeskStasis(self.ari, self.board, rules, record=self.record, capture=capture,
                          can_store=lambda: self.store.up is not False)

    def _board_changed(self, seat) -> None:
        self.calls.seat_changed(seat)
        self.lamp.refresh()
        self.dialer.wake()
        self.changed.set()
        self.changed.clear()

    async def record(self, kind: str, fields: dict[str, str]) -> None:
        """The event log, and today's transfer figures (a live route is a
        call offered to the seats)."""
        await self.events.record(kind, fields)
        if kind == "route":
            await self.stats.transfer(fields.get("caller", ""),
                                      offered=fields.get("route") in LIVE_ROUTES)

    def lifetimes(self) -> list[tuple[str, Callable[[], Any], Callable[[], Awaitable[None]]]]:
        """(name, start, stop) of every part with a lifetime, in start order;
        they stop in the reverse order (the lease is given up while Redis
        still answers; event work is cancelled before ARI and AMI close).
        The leader-only parts are started by the leadership (``leader_only``)."""
        return [
            ("redis", self.store.start, self.store.stop),
            ("ami", self.ami.start, self.ami.stop),
            ("ari", self.ari.start, self.ari.stop),
            ("leadership", self.leadership.start, self.leadership.stop),
            ("lamp", self.lamp.start, self.lamp.stop),
            ("dialer", _nothing, self.dialer.stop),
            ("spool", _nothing, self.spool.stop),
            ("quality", _nothing, self.quality.stop),
            ("alerts", self._alerts_start, self._alerts_stop),
            ("presence", _nothing, self.presence.stop),
            ("measured figures", self.measured.worker.start, self.measured.worker.stop),
            ("confirmations", _nothing, self.confirmations.stop if self.confirmations
             else _stopped),
            ("seat minutes", _nothing, self.sampler.stop),
            ("call figures", _nothing, self.calls.stop),
            ("stasis", _nothing, self.stasis.stop),
        ]

    def _alerts_start(self) -> None:
        if self.webhook is not None:
            self.webhook.start()
        self.risk.worker.start()

    async def _alerts_stop(self) -> None:
        await self.risk.worker.stop()
        if self.webhook is not None:
            await self.webhook.stop()

    def health(self) -> dict:
        return {
            "role": "leader" if self.leadership.is_leader else "standby",
            "ami": "ready" if self.ami.ready.is_set() else "down",
            "ari": "connected" if self.ari.connected.is_set() else "down",
            "redis": {True: "up", False: "down", None: "unknown"}[self.store.up],
            "board": "in-sync" if self.board.synced else "stale",
            **stalls.health_fields(self),
        }


def _nothing() -> None:
    """Start of a part whose tasks are started by events or by the role, not at start."""


async def _stopped() -> None:
    """Stop of a part that is not there."""


@asynccontextmanager
async def application_held(ari: AriClient) -> AsyncIterator[None]:
    """The ARI application held (its websocket connected) while the block runs."""
    await ari.hold(True)
    try:
        yield
    finally:
        await ari.hold(False)


CONTROLLER = web.AppKey("controller", Controller)


def lifetime(name: str, start: Callable[[], Any],
             stop: Callable[[], Awaitable[None]]) -> Callable[[web.Application],
                                                             AsyncIterator[None]]:
    """A ``cleanup_ctx`` that starts one part with the application and stops it after."""
    async def ctx(_app: web.Application) -> AsyncIterator[None]:
        start()
        yield
        await stop()
    ctx.__qualname__ = ctx.__name__ = f"{name}_lifetime"
    return ctx


def init_app(settings: Settings, clients: Clients | None = None) -> web.Application:
    """The application for ``settings``, talking through ``clients`` (built
    from the settings when not given; a malformed URL raises ValueError)."""
    app = web.Application(client_max_size=callbacks_api.MAX_BODY,
                          middlewares=[json_errors, require_token])
    app[GRANTS] = tuple(build_grants(settings.http))
    controller = app[CONTROLLER] = Controller(settings, clients)
    for part in controller.lifetimes():
        app.cleanup_ctx.append(lifetime(*part))
    app[callbacks_api.SERVICE] = controller.callbacks
    callbacks_api.add_routes(app)
    health_.add_routes(app, controller.health)
    seats.add_routes(app, controller.board, controller.calendar)
    openapi.add_routes(app)
    metrics_.add_routes(app, controller)
    app[wallboard.CONFIG] = board = wallboard.BoardConfig(
        zone=settings.calendar.timezone, seat_names=dict(settings.desk.seat_names),
        at_risk_minutes=settings.callbacks.at_risk, language=settings.desk.screen_language,
        service_level=settings.desk.service_level,
        service_level_colours=dict(settings.desk.service_level_colours),
        pause_reasons=dict(settings.desk.pause_reasons))
    app[wallboard.SNAPSHOT] = lambda: wallboard.build_snapshot(controller, board)
    app[wallboard.CHANGED] = controller.changed
    wallboard.add_routes(app)
    recordings_api.add_routes(app, controller.quality, controller.calendar.zone)
    quality_page.add_routes(app)
    reports.add_routes(app, reports.ReportSource(
        controller.stats, controller.calendar.zone, settings.desk.wrapup,
        tuple(settings.desk.seats), dict(settings.desk.pause_reasons),
        settings.desk.service_level, dict(settings.desk.service_level_colours),
        quality=controller.quality.stats))
    return app
