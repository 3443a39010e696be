"""``/metrics`` in the Prometheus text format, from the controller's state.

Written by hand (a handful of gauges and one histogram) rather than pulling
in a client library: every figure is read at scrape time from the board,
the connections and the callback store.
"""

from __future__ import annotations

import bisect
from collections import Counter


class Histogram:
    """A cumulative histogram (seconds) in Prometheus' sense."""

    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * (len(buckets) + 1)
        self.total = 0.0
        self.n = 0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.buckets, value)] += 1
        self.total += value
        self.n += 1

    def lines(self, name: str) -> list[str]:
        out, running = [], 0
        for bound, count in zip(self.buckets, self.counts, strict=False):
            running += count
            out.append(f'{name}_bucket{{le="{bound}"}} {running}')
        out.append(f'{name}_bucket{{le="+Inf"}} {self.n}')
        out.append(f"{name}_sum {self.total:.9f}")
        out.append(f"{name}_count {self.n}")
        return out


DECISION_SECONDS = Histogram((0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05))
# A transferred caller's time in the controller: StasisStart received ->
# Asterisk has accepted the continue (the REST round trip included).
ROUTE_SECONDS = Histogram((0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0))


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


NOT_PLACED_REASONS = ("number-refused", "dialplan-refused", "originate-refused", "error")


def render(*, seats_by_activity: Counter, waiting: int, open_callbacks: int | None,
           sla: Counter, connections: dict[str, bool], routes: Counter,
           version: str = "", leader: bool = False, ready: bool = False,
           overdue_callbacks: int | None = None, not_placed: Counter | None = None) -> str:
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
