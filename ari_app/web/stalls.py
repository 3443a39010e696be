"""What stalls, told the same way by ``/readyz``, the wallboard and ``/metrics``.

The board may be stale since the last moment Asterisk was heard on an AMI
link that was in sync (``AmiClient.stale_since``: a frozen PBX is caught by
the link's heartbeat, ``asterisk/heartbeat.py``); the callback store is
unreachable since Redis's watcher first missed it (``RedisStore.down_since``).
The periodic loops' outages (``ari_app/outage.py``) are counted here too.
Instants leave as UTC with ``Z``; the wallboard writes them in the desk's zone.
"""

from __future__ import annotations

from typing import Any, Protocol

from ..outage import FAILED_STEPS, FAILING_SINCE
from ..timefmt import for_machines

# The loops whose failed steps are always exported (zeros too, for rate()).
LOOPS = ("dialer", "SLA-risk watch")


class Stalled(Protocol):
    """What is read here: the controller's parts (``app.Controller``)."""

    board: Any  # .synced
    ami: Any    # .ready, .trouble, .stale_since, .heartbeats_missed
    store: Any  # .up, .down_since


def board_stale_since(source: Stalled) -> float | None:
    """Wall time since which the board may be stale; None while it is known
    true, or stale with no earlier truth to date it (never in sync yet)."""
    if source.board.synced and source.ami.ready.is_set():
        return None
    return source.ami.stale_since


def board_why(source: Stalled) -> str | None:
    """``silent`` (Asterisk does not answer), ``resync``, ``down``; None: in sync."""
    if source.board.synced and source.ami.ready.is_set():
        return None
    trouble = source.ami.trouble or ""
    if trouble.startswith("no answer"):
        return "silent"
    return "resync" if trouble.startswith("resyncing") else "down"


def health_fields(source: Stalled) -> dict[str, Any]:
    """The fields ``/readyz`` adds beside ``ami``, ``board`` and ``redis``."""
    ready = source.ami.ready.is_set()
    return {"ami_trouble": None if ready else source.ami.trouble,
            "board_stale_since": for_machines(board_stale_since(source)),
            "redis_down_since": for_machines(source.store.down_since)
            if source.store.up is False else None}


def wallboard_part(source: Stalled, store_read: bool) -> dict[str, Any]:
    """The wallboard snapshot's ``stalls``: what its banners say.
    ``store_read``: the snapshot's own reads of the callback store worked."""
    return {"board": {"stale": board_why(source) is not None, "why": board_why(source),
                      "since": for_machines(board_stale_since(source))},
            "store": {"reachable": store_read,
                      "since": None if store_read else for_machines(source.store.down_since)}}


def metric_lines(source: Stalled) -> list[str]:
    """``/metrics`` lines for stalls (Prometheus text format)."""
    since = board_stale_since(source)
    lines = ["# HELP datadesk_board_stale 1 while the board may be stale (AMI silent, down "
             "or resyncing).", "# TYPE datadesk_board_stale gauge",
             f"datadesk_board_stale {int(board_why(source) is not None)}"]
    if since is not None:
        lines += ["# HELP datadesk_board_stale_since_seconds Unix time since which the board "
                  "may be stale (only while it may be).",
                  "# TYPE datadesk_board_stale_since_seconds gauge",
                  f"datadesk_board_stale_since_seconds {since:.3f}"]
    lines += ["# HELP datadesk_ami_heartbeats_missed_total AMI links given up because "
              "Asterisk answered nothing, not even a Ping (since start).",
              "# TYPE datadesk_ami_heartbeats_missed_total counter",
              f"datadesk_ami_heartbeats_missed_total {source.ami.heartbeats_missed}",
              "# HELP datadesk_loop_failed_steps_total Failed steps of a periodic loop "
              "(Redis or Asterisk away), by loop (since start).",
              "# TYPE datadesk_loop_failed_steps_total counter"]
    for loop in sorted(set(LOOPS) | set(FAILED_STEPS)):
        lines.append(f'datadesk_loop_failed_steps_total{{loop="{loop}"}} {FAILED_STEPS[loop]}')
    lines += ["# HELP datadesk_loop_failing 1 while a periodic loop's steps fail.",
              "# TYPE datadesk_loop_failing gauge"]
    for loop in sorted(set(LOOPS) | set(FAILED_STEPS)):
        lines.append(f'datadesk_loop_failing{{loop="{loop}"}} {int(loop in FAILING_SINCE)}')
    return lines
