"""What stalls, told the same way by ``/readyz``, the wallboard and ``/metrics``.

The board may be stale since the last moment Asterisk was heard on an AMI
link that was in sync (``AmiClient.stale_since``: a frozen PBX is caught by
the link's heartbeat, ``asterisk/heartbeat.py``); the callback store is
unreachable since Redis's watcher first missed it (``RedisStore.down_since``).
The periodic loops' outages (``ari_app/outage.py``) are counted here too.
Instants leave as UTC with ``Z``; the wallboard writes them in the desk's zone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..outage import FAILED_STEPS, FAILING_SINCE
from ..timefmt import for_machines

# The loops whose failed steps are always exported (zeros too, for rate()).
LOOPS = ("dialer", "SLA-risk watch")


class Stalled(Protocol):
    """What is read here: the controller's parts (``app.Controller``)."""

    board: Any  # .synced
    ami: Any    # .ready, .trouble, .stale_since, .heartbeats_missed
    ari: Any    # .applications_lost
    spool: Any  # .kept_aside
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


def families(source: Stalled) -> Iterator[Metric]:
    """The ``/metrics`` families of what stalls, as they are now."""
    since = board_stale_since(source)
    yield GaugeMetricFamily("datadesk_board_stale", "1 while the board may be stale (AMI "
                            "silent, down or resyncing).", value=int(board_why(source) is not None))
    if since is not None:
        yield GaugeMetricFamily("datadesk_board_stale_since_seconds", "Unix time since which "
                                "the board may be stale (only while it may be).", value=since)
    yield CounterMetricFamily("datadesk_ami_heartbeats_missed_total", "AMI links given up "
                              "because Asterisk answered nothing, not even a Ping (since start).",
                              value=source.ami.heartbeats_missed)
    yield CounterMetricFamily("datadesk_ari_application_lost_total", "Times Asterisk stopped "
                              "routing the ARI application to this controller (another "
                              "websocket replaced or unregistered it; registered again at "
                              "once) (since start).",
                              value=source.ari.applications_lost)
    yield GaugeMetricFamily("datadesk_spool_entries_kept_aside", "Entries of the dialplan's "
                            "callback spool (AstDB) the import refused and left there: callback "
                            "requests not scheduled until an operator removes or mends them "
                            "(the leader's count; its ERROR line names each).",
                            value=source.spool.kept_aside)
    loops = sorted(set(LOOPS) | set(FAILED_STEPS))
    failed = CounterMetricFamily("datadesk_loop_failed_steps_total", "Failed steps of a "
                                 "periodic loop (Redis or Asterisk away), by loop (since start).",
                                 labels=["loop"])
    failing = GaugeMetricFamily("datadesk_loop_failing", "1 while a periodic loop's steps fail.",
                                labels=["loop"])
    for loop in loops:
        failed.add_metric([loop], FAILED_STEPS[loop])
        failing.add_metric([loop], int(loop in FAILING_SINCE))
    yield failed
    yield failing


class StallCollector(Collector):
    """``families`` of one controller, read at every scrape."""

    def __init__(self, source: Stalled) -> None:
        self.source = source

    def collect(self) -> Iterator[Metric]:
        return families(self.source)
