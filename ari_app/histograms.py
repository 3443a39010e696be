"""Latency histograms the adapters observe into and ``/metrics`` exposes.

They live apart from ``web/`` so that the ARI side records its timings
without importing the HTTP face. Each controller has its own (``Timings``),
registered in no registry of prometheus-client's: the application's
``/metrics`` registry takes them (``web/metrics.py``), so two applications
in one process (the tests) never share a count.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import Histogram

DECISION_BUCKETS = (0.00001, 0.00005, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05)
# A transferred caller's time in the controller: StasisStart received ->
# Asterisk has accepted the continue (the REST round trip included).
ROUTE_BUCKETS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0)


def _decision() -> Histogram:
    return Histogram("datadesk_decision_seconds", "Time to take one routing decision.",
                     buckets=DECISION_BUCKETS, registry=None)


def _route() -> Histogram:
    return Histogram("datadesk_route_seconds", "A transferred caller's time in the controller, "
                     "StasisStart to continue accepted.", buckets=ROUTE_BUCKETS, registry=None)


@dataclass(frozen=True)
class Timings:
    """One controller's routing latencies (seconds)."""
    decision: Histogram = field(default_factory=_decision)
    route: Histogram = field(default_factory=_route)
