"""``/metrics`` read as a test or benchmark reads it: sample -> value."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.registry import Collector


def samples(text: str) -> dict[str, float]:
    """Each sample line of the exposition text (``name{labels}`` as written)
    with its value; comments and blank lines left out."""
    return {key: float(value) for key, value in (
        line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))}


def lines_of(collector: Collector) -> list[str]:
    """What a scrape writes of ``collector`` alone, line by line."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collector)
    return generate_latest(registry).decode().splitlines()
