"""``/metrics`` in the Prometheus text format, from the controller's state.

Written by hand (a handful of gauges and one histogram) rather than pulling
in a client library: every figure is read at scrape time from the board,
the connections and the callback store.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from .. import __version__
from ..clock import utcnow
from ..notify.confirmations import confirmation_lines
from ..desk.board import Board
from ..desk.routing import Route
from ..histograms import DECISION_SECONDS, ROUTE_SECONDS
from . import health as health_, stalls


def _process(version: str, leader: bool, ready: bool) -> list[str]:
    """Who this replica is: its version, its role and whether it is ready."""
    return [
        "# HELP datadesk_build_info The running version (always 1).",
        "# TYPE datadesk_build_info gauge", f'datadesk_build_info{{version="{version}"}} 1',
        "# HELP datadesk_role 1 for the role this replica has now (leader or standby).",
        "# TYPE datadesk_role gauge",
        f'datadesk_role{{role="leader"}} {int(leader)}',
        f'datadesk_role{{role="standby"}} {int(not leader)}',
        "# HELP datadesk_ready 1 when /readyz answers 200.", "# TYPE datadesk_ready gauge",
        f"datadesk_ready {int(ready)}",
    ]


NOT_PLACED_REASONS = ("number-refused", "dialplan-refused", "originate-refused", "record-mismatch",
                      "used-up", "error")


def render(*, seats_by_activity: Counter, waiting: int, open_callbacks: int | None,
           sla: Counter, connections: dict[str, bool], routes: Counter,
           version: str = "", leader: bool = False, ready: bool = False,
           overdue_callbacks: int | None = None, not_placed: Counter | None = None,
           risk: dict[str, Any] | None = None) -> str:
    """The exposition text. ``routes`` should name every route (zeros too):
    a counter that appears only at its first increment hides that increment
    from ``rate()``. ``None`` figures (Redis away) are left out, not zeroed."""
    lines = _process(version, leader, ready) + [
        "# HELP datadesk_seats Desk seats by activity.",
        "# TYPE datadesk_seats gauge",
    ]
    for activity in ("ready", "ringing", "in-call", "on-hold", "wrap-up", "paused",
                     "logged-out", "unregistered"):
        lines.append(f'datadesk_seats{{activity="{activity}"}} {seats_by_activity.get(activity, 0)}')
    lines += ["# HELP datadesk_waiting_callers Live callers waiting in the desk queue.",
              "# TYPE datadesk_waiting_callers gauge", f"datadesk_waiting_callers {waiting}"]
    if open_callbacks is not None:
        lines += ["# HELP datadesk_open_callbacks Callbacks not yet finished.",
                  "# TYPE datadesk_open_callbacks gauge",
                  f"datadesk_open_callbacks {open_callbacks}"]
    if overdue_callbacks is not None:
        lines += ["# HELP datadesk_callbacks_overdue Unfinished callbacks past their deadline.",
                  "# TYPE datadesk_callbacks_overdue gauge",
                  f"datadesk_callbacks_overdue {overdue_callbacks}"]
    lines += _risk(risk or {})
    lines += ["# HELP datadesk_callbacks_sla_total Callbacks whose first attempt met or "
              "breached the SLA (since start).", "# TYPE datadesk_callbacks_sla_total counter"]
    for result in ("met", "breached"):
        lines.append(f'datadesk_callbacks_sla_total{{result="{result}"}} {sla.get(result, 0)}')
    lines += ["# HELP datadesk_callbacks_not_placed_total Callback attempts that could not be "
              "placed and failed the callback, by why (since start).",
              "# TYPE datadesk_callbacks_not_placed_total counter"]
    for why in NOT_PLACED_REASONS:
        lines.append(f'datadesk_callbacks_not_placed_total{{reason="{why}"}} '
                     f'{(not_placed or Counter()).get(why, 0)}')
    lines += ["# HELP datadesk_connection_up 1 when the link is up.",
              "# TYPE datadesk_connection_up gauge"]
    for name, up in connections.items():
        lines.append(f'datadesk_connection_up{{link="{name}"}} {1 if up else 0}')
    lines += ["# HELP datadesk_routes_total Routing decisions by route (since start).",
              "# TYPE datadesk_routes_total counter"]
    for route, count in sorted(routes.items()):
        lines.append(f'datadesk_routes_total{{route="{route}"}} {count}')
    lines += ["# HELP datadesk_decision_seconds Time to take one routing decision.",
              "# TYPE datadesk_decision_seconds histogram"]
    lines += DECISION_SECONDS.lines("datadesk_decision_seconds")
    lines += ["# HELP datadesk_route_seconds A transferred caller's time in the controller, "
              "StasisStart to continue accepted.", "# TYPE datadesk_route_seconds histogram"]
    lines += ROUTE_SECONDS.lines("datadesk_route_seconds")
    return "\n".join(lines) + "\n"


def _risk(risk: dict[str, Any]) -> list[str]:
    """SLA risk: the gauge (left out while unknown), escalations and alerts."""
    lines = []
    if risk.get("at_risk") is not None:
        lines += ["# HELP datadesk_callbacks_at_risk Callbacks never dialled whose deadline is "
                  "within [callbacks] at_risk minutes (or past).",
                  "# TYPE datadesk_callbacks_at_risk gauge",
                  f"datadesk_callbacks_at_risk {risk['at_risk']}"]
    lines += ["# HELP datadesk_callbacks_escalated_total At-risk callbacks placed ahead of "
              "live callers (since start).", "# TYPE datadesk_callbacks_escalated_total counter",
              f"datadesk_callbacks_escalated_total {risk.get('escalated', 0)}",
              "# HELP datadesk_sla_risk_alerts_total SLA-risk webhook alerts by result "
              "(since start).", "# TYPE datadesk_sla_risk_alerts_total counter"]
    alerts = risk.get("alerts") or Counter()
    for result in ("sent", "failed", "dropped"):
        lines.append(f'datadesk_sla_risk_alerts_total{{result="{result}"}} '
                     f'{alerts.get(result, 0)}')
    return lines


class MetricsSource(Protocol):
    """What a scrape reads: the controller's parts (``app.Controller``)."""

    board: Board
    callbacks: Any  # .count_open(), .count_overdue(ts)
    dialer: Any  # .sla, .not_placed: Counters
    stasis: Any  # .routes: Counter
    ami: Any  # .ready: Event
    ari: Any  # .connected: Event
    store: Any  # .up: bool | None

    def health(self) -> dict: ...


SOURCE = web.AppKey("metrics_source", MetricsSource)
CLOCK = web.AppKey("metrics_clock", Callable)


async def _callback_counts(source: MetricsSource, ts: float) -> tuple[int | None, int | None]:
    try:
        return (await source.callbacks.count_open(),
                await source.callbacks.count_overdue(ts))
    except Exception:  # Redis away: say nothing rather than a wrong zero
        return None, None


async def scrape(source: MetricsSource, ts: float) -> str:
    """The exposition text for ``source`` as it is at ``ts``."""
    open_callbacks, overdue = await _callback_counts(source, ts)
    health = source.health()
    return render(
        seats_by_activity=Counter(s.activity(ts) for s in source.board),
        waiting=source.board.waiting, open_callbacks=open_callbacks,
        sla=source.dialer.sla,
        connections={"ami": source.ami.ready.is_set(),
                     "ari": source.ari.connected.is_set(),
                     "redis": source.store.up is True},
        routes=Counter({**{r.value: 0 for r in Route}, **source.stasis.routes}),
        version=__version__, leader=health["role"] == "leader",
        ready=not health_.problems(health), overdue_callbacks=overdue,
        not_placed=source.dialer.not_placed, risk=_risk_figures(source)) + \
        "\n".join(stalls.metric_lines(source)) + "\n"   # what stalls: web/stalls.py


def _risk_figures(source: MetricsSource) -> dict[str, Any]:
    risk, webhook = getattr(source, "risk", None), getattr(source, "webhook", None)
    return {"at_risk": risk.count if risk is not None else None,
            "escalated": getattr(source.dialer, "escalations", 0),
            "alerts": webhook.counts if webhook is not None else None}


async def metrics(request: web.Request) -> web.Response:
    text = await scrape(request.app[SOURCE], request.app[CLOCK]().timestamp())
    text += confirmation_lines(getattr(request.app[SOURCE], "confirmations", None))
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


def add_routes(app: web.Application, source: MetricsSource, *,
               clock: Callable = utcnow) -> None:
    app[SOURCE], app[CLOCK] = source, clock
    app.router.add_get("/metrics", metrics)
