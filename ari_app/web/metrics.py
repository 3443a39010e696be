"""``/metrics`` for Prometheus, from the controller's state (prometheus-client).

Each application has its own registry (never the library's global one): a
custom collector (``DeskCollector``) that yields the figures read at scrape
time from the board, the connections and the callback store, one that
yields what stalls (``web/stalls.py``), the count of phones taking over
another endpoint's call (``asterisk/foreign_replaces.py``), the recordings'
figures (``quality/metrics.py``), the customers' confirmations
(``notify/confirmations.py``), and the routing latency histograms of the
controller's Stasis application (``ari_app/histograms.py``). The store is
read before the registry is written out, since a collector cannot await:
the text itself is the library's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web
from prometheus_client import CollectorRegistry, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from .. import __version__
from ..clock import utcnow
from ..notify.confirmations import ConfirmationsCollector
from ..desk.board import Board
from ..desk.routing import Route
from ..store.away import STORE_ERRORS
from . import health as health_, stalls

ACTIVITIES = ("ready", "ringing", "in-call", "on-hold", "wrap-up", "paused", "logged-out",
              "unregistered")
NOT_PLACED_REASONS = ("number-refused", "dialplan-refused", "originate-refused", "record-mismatch",
                      "used-up", "error")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Figures:
    """What one scrape says. ``routes`` should name every route (zeros too):
    a counter that appears only at its first increment hides that increment
    from ``rate()``. ``None`` figures (Redis away) are left out, not zeroed."""
    seats_by_activity: Counter = field(default_factory=Counter)
    waiting: int = 0
    open_callbacks: int | None = None
    overdue_callbacks: int | None = None
    sla: Counter = field(default_factory=Counter)
    not_placed: Counter = field(default_factory=Counter)
    connections: dict[str, bool] = field(default_factory=dict)
    routes: Counter = field(default_factory=Counter)
    version: str = ""
    leader: bool = False
    ready: bool = False
    risk: dict[str, Any] = field(default_factory=dict)


def _gauge(name: str, doc: str, labels: tuple[str, ...] = (),
           rows: list[tuple[tuple[str, ...], float]] | None = None,
           value: float | None = None) -> GaugeMetricFamily:
    if not labels:
        return GaugeMetricFamily(name, doc, value=value)
    family = GaugeMetricFamily(name, doc, labels=labels)
    for keys, v in rows or []:
        family.add_metric(list(keys), v)
    return family


def _counter(name: str, doc: str, label: str | None = None,
             counts: dict[str, float] | None = None,
             value: float | None = None) -> CounterMetricFamily:
    if label is None:
        return CounterMetricFamily(name, doc, value=value)
    family = CounterMetricFamily(name, doc, labels=[label])
    for key, v in (counts or {}).items():
        family.add_metric([key], v)
    return family


def families(f: Figures) -> Iterator[Metric]:
    """The metric families of one scrape, in the order they are written."""
    yield _gauge("datadesk_build_info", "The running version (always 1).", ("version",),
                 [((f.version,), 1)])
    yield _gauge("datadesk_role", "1 for the role this replica has now (leader or standby).",
                 ("role",), [(("leader",), int(f.leader)), (("standby",), int(not f.leader))])
    yield _gauge("datadesk_ready", "1 when /readyz answers 200.", value=int(f.ready))
    yield _gauge("datadesk_seats", "Desk seats by activity.", ("activity",),
                 [((a,), f.seats_by_activity.get(a, 0)) for a in ACTIVITIES])
    yield _gauge("datadesk_waiting_callers", "Live callers waiting in the desk queue.",
                 value=f.waiting)
    if f.open_callbacks is not None:
        yield _gauge("datadesk_open_callbacks", "Callbacks not yet finished.",
                     value=f.open_callbacks)
    if f.overdue_callbacks is not None:
        yield _gauge("datadesk_callbacks_overdue", "Unfinished callbacks past their deadline.",
                     value=f.overdue_callbacks)
    yield from _risk(f.risk)
    yield _counter("datadesk_callbacks_sla_total", "Callbacks whose first attempt met or "
                   "breached the SLA (since start).", "result",
                   {r: f.sla.get(r, 0) for r in ("met", "breached")})
    yield _counter("datadesk_callbacks_not_placed_total", "Callback attempts that could not be "
                   "placed and failed the callback, by why (since start).", "reason",
                   {why: f.not_placed.get(why, 0) for why in NOT_PLACED_REASONS})
    yield _gauge("datadesk_connection_up", "1 when the link is up.", ("link",),
                 [((name,), int(up)) for name, up in f.connections.items()])
    yield _counter("datadesk_routes_total", "Routing decisions by route (since start).",
                   "route", dict(sorted(f.routes.items())))


def _risk(risk: dict[str, Any]) -> Iterator[Metric]:
    """SLA risk: the gauge (left out while unknown), escalations and alerts."""
    if risk.get("at_risk") is not None:
        yield _gauge("datadesk_callbacks_at_risk", "Callbacks never dialled whose deadline is "
                     "within [callbacks] at_risk minutes (or past).", value=risk["at_risk"])
    yield _counter("datadesk_callbacks_escalated_total", "At-risk callbacks placed ahead of "
                   "live callers (since start).", value=risk.get("escalated", 0))
    alerts = risk.get("alerts") or Counter()
    yield _counter("datadesk_sla_risk_alerts_total", "SLA-risk webhook alerts by result "
                   "(since start).", "result",
                   {r: alerts.get(r, 0) for r in ("sent", "failed", "dropped")})


class DeskCollector(Collector):
    """Yields the figures of the last ``read`` (a collector cannot await the
    store, so the handler reads first and writes the registry out at once)."""

    def __init__(self) -> None:
        self.figures = Figures()

    def collect(self) -> Iterator[Metric]:
        return families(self.figures)


def render(**figures: Any) -> str:
    """The exposition text of ``Figures(**figures)`` alone (no histograms)."""
    registry = CollectorRegistry(auto_describe=False)
    collector = DeskCollector()
    collector.figures = Figures(**figures)
    registry.register(collector)
    return generate_latest(registry).decode()


class MetricsSource(Protocol):
    """What a scrape reads: the controller's parts (``app.Controller``)."""

    board: Board
    callbacks: Any  # .count_open(), .count_overdue(ts)
    dialer: Any  # .sla, .not_placed: Counters
    stasis: Any  # .routes: Counter, .timings: Timings
    ami: Any  # .ready: Event
    ari: Any  # .connected: Event
    store: Any  # .up: bool | None
    foreign_replaces: Any  # a prometheus-client Collector (asterisk/foreign_replaces.py)
    # and, when recording is wired, .quality.metrics (quality/metrics.py)

    def health(self) -> dict: ...


SOURCE = web.AppKey("metrics_source", MetricsSource)
CLOCK = web.AppKey("metrics_clock", Callable)
REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)
COLLECTOR = web.AppKey("metrics_collector", DeskCollector)


async def _callback_counts(source: MetricsSource, ts: float) -> tuple[int | None, int | None]:
    try:
        return (await source.callbacks.count_open(),
                await source.callbacks.count_overdue(ts))
    except STORE_ERRORS:  # Redis away: say nothing rather than a wrong zero
        return None, None


async def read(source: MetricsSource, ts: float) -> Figures:
    """The figures of ``source`` as it is at ``ts`` (the store read here)."""
    open_callbacks, overdue = await _callback_counts(source, ts)
    health = source.health()
    return Figures(
        seats_by_activity=Counter(s.activity(ts) for s in source.board),
        waiting=source.board.waiting, open_callbacks=open_callbacks,
        overdue_callbacks=overdue, sla=source.dialer.sla, not_placed=source.dialer.not_placed,
        connections={"ami": source.ami.ready.is_set(),
                     "ari": source.ari.connected.is_set(),
                     "redis": source.store.up is True},
        routes=Counter({**{r.value: 0 for r in Route}, **source.stasis.routes}),
        version=__version__, leader=health["role"] == "leader",
        ready=not health_.problems(health), risk=_risk_figures(source))


def _risk_figures(source: MetricsSource) -> dict[str, Any]:
    risk, webhook = getattr(source, "risk", None), getattr(source, "webhook", None)
    return {"at_risk": risk.count if risk is not None else None,
            "escalated": getattr(source.dialer, "escalations", 0),
            "alerts": webhook.counts if webhook is not None else None}


async def metrics(request: web.Request) -> web.Response:
    source, collector = request.app[SOURCE], request.app[COLLECTOR]
    collector.figures = await read(source, request.app[CLOCK]().timestamp())
    quality = getattr(source, "quality", None)
    if quality is not None:
        await quality.metrics.read()
    # No await from here to the text: the figures are this scrape's.
    return web.Response(body=generate_latest(request.app[REGISTRY]),
                        headers={"Content-Type": CONTENT_TYPE})


def add_routes(app: web.Application, source: MetricsSource, *,
               clock: Callable = utcnow) -> None:
    """``/metrics`` on ``app``, with a registry of its own."""
    # The library's extra ``*_created`` series are none of the controller's
    # metric names (a process-wide switch: the controller owns its process).
    disable_created_metrics()
    registry = CollectorRegistry(auto_describe=False)
    collector = DeskCollector()
    registry.register(collector)
    registry.register(stalls.StallCollector(source))
    registry.register(source.foreign_replaces)
    quality = getattr(source, "quality", None)
    if quality is not None:
        registry.register(quality.metrics)
    registry.register(ConfirmationsCollector(source))
    timings = getattr(source.stasis, "timings", None)
    if timings is not None:
        registry.register(timings.decision)
        registry.register(timings.route)
    app[SOURCE], app[CLOCK], app[REGISTRY], app[COLLECTOR] = source, clock, registry, collector
    app.router.add_get("/metrics", metrics)
