"""The quality figures in ``/metrics``: recordings stored and their disk use,
what retention deleted or kept, and every way a recording failed. A
prometheus-client collector on the application's registry, beside the
desk's (``web/metrics.py``): the text is the library's."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ..store.away import STORE_ERRORS

FAILURE_STAGES = ("event", "index", "file", "pause", "survey")
RETENTION = ("deleted", "kept-under-review", "failed")


def _by(name: str, doc: str, label: str, keys: tuple[str, ...],
        counts: Mapping[str, int]) -> CounterMetricFamily:
    """A counter by ``label``, every one of ``keys`` written (zeros too, for ``rate()``)."""
    family = CounterMetricFamily(name, doc, labels=[label])
    for key in keys:
        family.add_metric([key], counts.get(key, 0))
    return family


class QualityCollector(Collector):
    """The figures of ``parts`` (``QualityParts``): the counters as they are
    at the scrape, the store's totals as of the last ``read`` (a collector
    cannot await the store, so the scrape reads first and writes at once)."""

    def __init__(self, parts: Any) -> None:
        self.parts = parts
        self.totals: tuple[int, int] | None = None

    async def read(self) -> None:
        """The recordings' count and bytes now; None while Redis does not
        answer, so the scrape leaves them out rather than write a wrong zero."""
        try:
            self.totals = await self.parts.store.totals()
        except STORE_ERRORS:
            self.totals = None

    def collect(self) -> Iterator[Metric]:
        yield _by("datadesk_recording_failures_total", "Recordings that failed at a stage "
                  "(the call itself went on).", "stage", FAILURE_STAGES,
                  self.parts.tracker.failures)
        yield _by("datadesk_recordings_retention_total", "Recordings the retention sweep "
                  "deleted, kept under review, or failed to delete, since start.", "result",
                  RETENTION, self.parts.retention.counts)
        if self.totals is not None:
            count, size = self.totals
            yield GaugeMetricFamily("datadesk_recordings_stored", "Recordings in the index.",
                                    value=count)
            yield GaugeMetricFamily("datadesk_recordings_bytes",
                                    "Disk use of the stored recordings' files.", value=size)
