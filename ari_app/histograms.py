"""Latency histograms the adapters observe into and ``/metrics`` renders.

They live apart from ``web/`` so that the ARI side records its timings
without importing the HTTP face.
"""

from __future__ import annotations

import bisect


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
